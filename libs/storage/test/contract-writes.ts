import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { it } from 'node:test';
import { StorageErrorCode } from '../src/index.ts';
import type { ContractContext } from './contract.ts';
import {
  chunked,
  getBytes,
  pauseBeforeEnd,
  payload,
  putBytes,
  readAll,
  rejectsWith,
  sha256,
} from './contract-helpers.ts';

const MiB = 1024 * 1024;

export function registerWriteContract(context: ContractContext): void {
  const { store, folder } = context;

  it('round-trips bytes, size, sha256, etag, content type and cache control (stream and buffer bodies)', async () => {
    const base = folder();
    const streamed = payload(200_000);
    const before = Date.now();
    const put = await store().put(`${base}/streamed.conda`, chunked(streamed), {
      size: streamed.byteLength,
      sha256: sha256(streamed).toUpperCase(), // hex case must not matter
      contentType: 'application/octet-stream',
      cacheControl: 'public, max-age=31536000, immutable',
    });
    assert.equal(put.key, `${base}/streamed.conda`);
    assert.equal(put.size, streamed.byteLength);
    assert.equal(put.sha256, sha256(streamed));
    assert.match(put.etag, /^".+"$/);
    const head = await store().head(`${base}/streamed.conda`);
    assert.ok(head !== null);
    assert.equal(head.size, streamed.byteLength);
    assert.equal(head.sha256, sha256(streamed));
    assert.equal(head.etag, put.etag);
    assert.equal(head.contentType, 'application/octet-stream');
    assert.equal(head.cacheControl, 'public, max-age=31536000, immutable');
    assert.ok(
      Math.abs(head.lastModified.getTime() - before) < 60_000,
      `lastModified ${head.lastModified.toISOString()}`,
    );
    const got = await store().get(`${base}/streamed.conda`);
    assert.ok(got !== null);
    assert.deepEqual(await readAll(got.body), streamed);
    assert.equal(got.info.etag, put.etag);
    assert.equal(got.info.sha256, sha256(streamed));

    const buffered = Buffer.from('{"info":{"subdir":"noarch"},"packages":{}}\n');
    const json = await store().put(`${base}/repodata.json`, buffered, {
      size: buffered.byteLength,
      sha256: sha256(buffered),
      contentType: 'application/json',
    });
    assert.equal(json.contentType, 'application/json');
    assert.deepEqual(await getBytes(store(), `${base}/repodata.json`), buffered);
    assert.equal((await store().head(`${base}/repodata.json`))?.contentType, 'application/json');
  });

  it('stores empty objects', async () => {
    const key = `${folder()}/empty`;
    await store().put(key, Buffer.alloc(0), { size: 0, sha256: sha256(Buffer.alloc(0)) });
    assert.equal((await store().head(key))?.size, 0);
    assert.deepEqual(await getBytes(store(), key), Buffer.alloc(0));
    await rejectsWith(store().get(key, { range: { start: 0 } }), StorageErrorCode.RangeNotSatisfiable, [key]);
    await store().put(`${key}-streamed`, chunked(Buffer.alloc(0)), {
      size: 0,
      sha256: sha256(Buffer.alloc(0)),
    });
    assert.equal((await store().head(`${key}-streamed`))?.size, 0);
  });

  it('overwrites an existing object', async () => {
    const key = `${folder()}/file.tar.bz2`;
    const first = payload(1000);
    const second = payload(2000);
    const v1 = await putBytes(store(), key, first);
    const v2 = await putBytes(store(), key, second);
    assert.notEqual(v1.etag, v2.etag);
    assert.deepEqual(await getBytes(store(), key), second);
    assert.equal((await store().head(key))?.sha256, sha256(second));
  });

  it('rejects a wrong sha256 with CHECKSUM_MISMATCH, shows nothing, keeps the previous version', async () => {
    const base = folder();
    const bytes = payload(50_000);
    const wrong = sha256(payload(10));
    for (const body of [chunked(bytes), bytes]) {
      await rejectsWith(
        store().put(`${base}/new.conda`, body, { size: bytes.byteLength, sha256: wrong }),
        StorageErrorCode.ChecksumMismatch,
        [`${base}/new.conda`, wrong, sha256(bytes)],
      );
      assert.equal(await store().head(`${base}/new.conda`), null);
      assert.equal(await store().get(`${base}/new.conda`), null);
    }
    await rejectsWith(
      store().put(`${base}/slow.conda`, pauseBeforeEnd(bytes), { size: bytes.byteLength, sha256: wrong }),
      StorageErrorCode.ChecksumMismatch,
    );
    assert.equal(
      await store().head(`${base}/slow.conda`),
      null,
      'all bytes then a pause: still nothing visible',
    );
    const original = payload(3000);
    const v1 = await putBytes(store(), `${base}/kept.conda`, original);
    for (const body of [chunked(bytes), pauseBeforeEnd(bytes)]) {
      await rejectsWith(
        store().put(`${base}/kept.conda`, body, { size: bytes.byteLength, sha256: wrong }),
        StorageErrorCode.ChecksumMismatch,
      );
    }
    assert.deepEqual(await getBytes(store(), `${base}/kept.conda`), original);
    assert.equal((await store().head(`${base}/kept.conda`))?.etag, v1.etag);
  });

  it('rejects short and over-long bodies with SIZE_MISMATCH, shows nothing, keeps the previous version', async () => {
    const base = folder();
    const bytes = payload(40_000);
    const original = payload(500);
    await putBytes(store(), `${base}/kept`, original);
    for (const key of [`${base}/new`, `${base}/kept`]) {
      // Short: the declared size is larger than what arrives (a truncated download).
      await rejectsWith(
        store().put(key, chunked(bytes), { size: bytes.byteLength + 1, sha256: sha256(bytes) }),
        StorageErrorCode.SizeMismatch,
        [key, String(bytes.byteLength + 1), String(bytes.byteLength)],
      );
      // Over-long: the first `size` bytes are exactly right, then more arrive.
      const prefix = bytes.subarray(0, 30_000);
      await rejectsWith(
        store().put(key, chunked(bytes), { size: prefix.byteLength, sha256: sha256(prefix) }),
        StorageErrorCode.SizeMismatch,
        [key, '30000'],
      );
      // Exactly the right bytes, a pause (the backend has all it was promised), then one byte too many.
      await rejectsWith(
        store().put(key, pauseBeforeEnd(prefix, Buffer.from('!')), {
          size: prefix.byteLength,
          sha256: sha256(prefix),
        }),
        StorageErrorCode.SizeMismatch,
      );
      await rejectsWith(
        store().put(key, bytes, { size: bytes.byteLength - 1, sha256: sha256(bytes) }),
        StorageErrorCode.SizeMismatch,
      );
    }
    assert.equal(await store().head(`${base}/new`), null);
    assert.deepEqual(await getBytes(store(), `${base}/kept`), original);
  });

  it('an aborted put leaves nothing (signal fired before, during a stalled body, and mid-stream)', async () => {
    const base = folder();
    const bytes = payload(100_000);
    const original = payload(100);
    await putBytes(store(), `${base}/kept`, original);

    await rejectsWith(
      store().put(`${base}/pre`, bytes, {
        size: bytes.byteLength,
        sha256: sha256(bytes),
        signal: AbortSignal.abort(),
      }),
      StorageErrorCode.Aborted,
    );

    for (const key of [`${base}/stalled`, `${base}/kept`]) {
      // An upstream that sends part of the body and then goes silent.
      const stalled = new PassThrough();
      stalled.write(bytes.subarray(0, 10_000));
      await rejectsWith(
        store().put(key, stalled, {
          size: bytes.byteLength,
          sha256: sha256(bytes),
          signal: AbortSignal.timeout(200),
        }),
        StorageErrorCode.Aborted,
        [key],
      );
      assert.ok(stalled.destroyed, 'the stalled source is destroyed');
    }

    const controller = new AbortController();
    async function* abortHalfway() {
      yield bytes.subarray(0, 50_000);
      controller.abort(new Error('sync cancelled'));
      yield bytes.subarray(50_000);
    }
    await rejectsWith(
      store().put(`${base}/midway`, abortHalfway(), {
        size: bytes.byteLength,
        sha256: sha256(bytes),
        signal: controller.signal,
      }),
      StorageErrorCode.Aborted,
    );
    for (const key of ['pre', 'stalled', 'midway'])
      assert.equal(await store().head(`${base}/${key}`), null, key);
    assert.deepEqual(await getBytes(store(), `${base}/kept`), original);
  });

  it('validates size and sha256 options before any I/O', async () => {
    const key = `${folder()}/x`;
    const bytes = payload(10);
    await rejectsWith(
      store().put(key, bytes, { size: -1, sha256: sha256(bytes) }),
      StorageErrorCode.InvalidArgument,
    );
    await rejectsWith(
      store().put(key, bytes, { size: 1.5, sha256: sha256(bytes) }),
      StorageErrorCode.InvalidArgument,
    );
    await rejectsWith(
      store().put(key, bytes, { size: 10, sha256: 'abc' }),
      StorageErrorCode.InvalidArgument,
      ['abc'],
    );
    assert.equal(await store().head(key), null);
  });

  it('uploads a multipart-sized object (verified, in uneven chunks) and rejects a bad one', async () => {
    const base = folder();
    const bytes = payload(12 * MiB + 123);
    const put = await store().put(`${base}/big.conda`, chunked(bytes, [1 * MiB + 17, 65536, 5]), {
      size: bytes.byteLength,
      sha256: sha256(bytes),
    });
    assert.equal(put.size, bytes.byteLength);
    const head = await store().head(`${base}/big.conda`);
    assert.equal(head?.size, bytes.byteLength);
    assert.equal(head?.sha256, sha256(bytes));
    assert.equal(head?.etag, put.etag);
    const got = await getBytes(store(), `${base}/big.conda`);
    assert.ok(got !== null && sha256(got) === sha256(bytes), 'bytes read back hash to the sha256 put');

    const wrong = sha256(payload(1));
    await rejectsWith(
      store().put(`${base}/bad.conda`, chunked(bytes, [3 * MiB]), { size: bytes.byteLength, sha256: wrong }),
      StorageErrorCode.ChecksumMismatch,
      [wrong],
    );
    await rejectsWith(
      store().put(`${base}/short.conda`, chunked(bytes.subarray(0, 11 * MiB), [3 * MiB]), {
        size: bytes.byteLength,
        sha256: sha256(bytes),
      }),
      StorageErrorCode.SizeMismatch,
    );
    assert.equal(await store().head(`${base}/bad.conda`), null);
    assert.equal(await store().head(`${base}/short.conda`), null);
  });

  it('deletes objects; deleting an absent one is fine; a deleted path can become a folder and back', async () => {
    const base = folder();
    const bytes = payload(10);
    await putBytes(store(), `${base}/a`, bytes);
    await store().delete(`${base}/a`);
    assert.equal(await store().head(`${base}/a`), null);
    assert.equal(await store().get(`${base}/a`), null);
    await store().delete(`${base}/a`);
    await store().delete(`${base}/never/existed`);
    await putBytes(store(), `${base}/a/b`, bytes);
    await store().delete(`${base}/a/b`);
    await putBytes(store(), `${base}/a`, bytes);
    assert.deepEqual(await getBytes(store(), `${base}/a`), bytes);
  });
}
