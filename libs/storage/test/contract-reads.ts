import assert from 'node:assert/strict';
import { it } from 'node:test';
import { compareKeys, type OperationOutcome, StorageErrorCode } from '../src/index.ts';
import type { ContractContext } from './contract.ts';
import { collect, getBytes, payload, putBytes, readAll, rejectsWith, sha256 } from './contract-helpers.ts';

/** Filenames conda channels really hold, plus the characters URL encoders like to mangle. */
export const SPECIAL_KEYS = [
  'linux-64/libstdcxx-ng-13.2.0-h7e041cc_5.conda',
  'linux-64/openssl-1.1.1w-h7f8727e_0.tar.bz2',
  'noarch/pkg-1.0+local-py_0.conda',
  'noarch/x-1!2.0-0.conda',
  'noarch/eq=~_%41%2F%25-0.conda',
  'noarch/space and +plus.conda',
  'noarch/ünïcode-ß-1.0-0.conda',
  'noarch/😀-1.0-0.conda',
  '.condasync/runs/run-1.json',
  '..hidden/.x',
];

export const INVALID_KEYS = [
  '',
  '/abs/key',
  'a//b',
  'a/',
  './a',
  'a/./b',
  '../escape',
  'a/../../escape',
  '..',
  'a\\b',
  'a\u0000b',
  'line\nbreak',
  'tab\there',
  'del\u007f',
  'lone\ud800surrogate',
  'x'.repeat(1025),
  'é'.repeat(513),
  '.condasync/fs-store/tmp/x',
];

export function registerReadContract(context: ContractContext): void {
  const { store, folder, makeStore } = context;

  it('returns null for missing objects', async () => {
    const base = folder();
    assert.equal(await store().get(`${base}/missing.conda`), null);
    assert.equal(await store().head(`${base}/missing.conda`), null);
    assert.equal(await store().get(`${base}/missing.conda`, { range: { start: 0, end: 1 } }), null);
    assert.deepEqual(await collect(store().list(`${base}/`)), []);
  });

  it('reads byte ranges (inclusive end, open end, end clamped to the object) with the full size', async () => {
    const key = `${folder()}/ranged.conda`;
    const bytes = payload(10_000);
    await putBytes(store(), key, bytes);
    const cases: [{ start: number; end?: number }, Buffer][] = [
      [{ start: 0, end: 0 }, bytes.subarray(0, 1)],
      [{ start: 100, end: 199 }, bytes.subarray(100, 200)],
      [{ start: 9_990 }, bytes.subarray(9_990)],
      [{ start: 9_000, end: 50_000 }, bytes.subarray(9_000)],
    ];
    for (const [range, expected] of cases) {
      const result = await store().get(key, { range });
      assert.ok(result !== null);
      assert.deepEqual(await readAll(result.body), expected, JSON.stringify(range));
      assert.equal(result.info.size, bytes.byteLength);
      assert.equal(result.info.sha256, sha256(bytes));
    }
    await rejectsWith(store().get(key, { range: { start: 10_000 } }), StorageErrorCode.RangeNotSatisfiable, [
      key,
    ]);
    await rejectsWith(store().get(key, { range: { start: 5, end: 4 } }), StorageErrorCode.InvalidArgument);
    await rejectsWith(store().get(key, { range: { start: -1 } }), StorageErrorCode.InvalidArgument);
  });

  it('lists more than one page (1000 keys) in byte order, whole folder and by partial prefix', async () => {
    const base = folder();
    const names: string[] = [];
    for (let index = 0; index < 1100; index++) names.push(`pkg-${String(index).padStart(4, '0')}-0.conda`);
    // Folder vs sibling order ("a.txt" < "a/b"), case, and non-ASCII, as S3 orders UTF-8 bytes.
    names.push('a.txt', 'a/b', 'a-1', 'A', 'é', 'z', '~', 'ǅ/deep/er');
    const keys = names.map((name) => `${base}/${name}`);
    const bytes = Buffer.from('x');
    for (let next = 0; next < keys.length; ) {
      await Promise.all(
        keys.slice(next, next + 32).map((key) => store().put(key, bytes, { size: 1, sha256: sha256(bytes) })),
      );
      next += 32;
    }
    const listed = await collect(store().list(`${base}/`));
    assert.equal(listed.length, keys.length);
    assert.deepEqual(
      listed.map((info) => info.key),
      [...keys].sort(compareKeys),
    );
    for (const info of listed) {
      assert.equal(info.size, 1);
      assert.match(info.etag, /^".+"$/);
      assert.ok(info.lastModified instanceof Date && !Number.isNaN(info.lastModified.getTime()));
    }
    const partial = await collect(store().list(`${base}/pkg-10`));
    assert.deepEqual(
      partial.map((info) => info.key),
      keys.filter((key) => key.startsWith(`${base}/pkg-10`)).sort(compareKeys),
    );
    assert.equal(partial.length, 100);
    assert.deepEqual(
      (await collect(store().list(`${base}/a`))).map((info) => info.key),
      [`${base}/a-1`, `${base}/a.txt`, `${base}/a/b`],
    );
    assert.deepEqual(
      (await collect(store().list(base))).map((info) => info.key),
      listed.map((info) => info.key),
    );
  });

  it('lists without sha256 on request, with the same keys and sizes', async () => {
    const base = folder();
    const bodies = [100, 200, 300].map((size) => payload(size));
    for (const [index, body] of bodies.entries()) await putBytes(store(), `${base}/pkg-${index}.conda`, body);
    const full = await collect(store().list(`${base}/`));
    const lean = await collect(store().list(`${base}/`, { sha256: false }));
    assert.deepEqual(
      lean.map((info) => [info.key, info.size, info.sha256]),
      full.map((info) => [info.key, info.size, undefined]),
    );
  });

  it('round-trips keys with conda special characters (+ ! = ~ _ . % and non-ASCII)', async () => {
    const base = folder();
    const contents = new Map<string, Buffer>();
    for (const name of SPECIAL_KEYS) {
      const bytes = payload(64);
      contents.set(`${base}/${name}`, bytes);
      await putBytes(store(), `${base}/${name}`, bytes);
    }
    for (const [key, bytes] of contents) {
      assert.deepEqual(await getBytes(store(), key), bytes, key);
      assert.equal((await store().head(key))?.sha256, sha256(bytes), key);
    }
    const listed = (await collect(store().list(`${base}/`))).map((info) => info.key);
    assert.deepEqual(listed, [...contents.keys()].sort(compareKeys));
    await store().delete(`${base}/noarch/pkg-1.0+local-py_0.conda`);
    assert.equal(await store().head(`${base}/noarch/pkg-1.0+local-py_0.conda`), null);
    assert.notEqual(await store().head(`${base}/noarch/space and +plus.conda`), null);
  });

  it('rejects invalid keys with INVALID_KEY before any I/O and without reading the body', async () => {
    const operations: string[] = [];
    const probe = await makeStore({ onOperation: (op) => operations.push(op) });
    try {
      for (const key of INVALID_KEYS) {
        let bodyRead = false;
        async function* body() {
          bodyRead = true;
          yield Buffer.from('x');
        }
        const options = { size: 1, sha256: sha256(Buffer.from('x')) };
        const shown = JSON.stringify(key).slice(0, 40);
        await rejectsWith(probe.put(key, body(), options), StorageErrorCode.InvalidKey, [shown]);
        await rejectsWith(
          probe.putConditional(key, Buffer.from('x'), { ...options, ifNoneMatch: '*' }),
          StorageErrorCode.InvalidKey,
        );
        await rejectsWith(probe.get(key), StorageErrorCode.InvalidKey);
        await rejectsWith(probe.head(key), StorageErrorCode.InvalidKey);
        await rejectsWith(probe.delete(key), StorageErrorCode.InvalidKey);
        assert.equal(bodyRead, false, `body read for ${shown}`);
      }
      for (const prefix of ['/abs', 'a//', '../', 'a/../b', 'a\\b', 'x\u0001']) {
        await rejectsWith(collect(probe.list(prefix)), StorageErrorCode.InvalidKey);
      }
      assert.deepEqual(operations, []);
    } finally {
      await probe.close();
    }
  });

  it('reports every operation to the onOperation hook with its duration and outcome', async () => {
    const reports: [string, number, OperationOutcome][] = [];
    const observed = await makeStore({
      onOperation: (op, seconds, outcome) => reports.push([op, seconds, outcome]),
    });
    try {
      const key = `${folder()}/observed`;
      const bytes = payload(10);
      await putBytes(observed, key, bytes);
      await rejectsWith(
        observed.put(key, bytes, { size: 10, sha256: sha256(payload(3)) }),
        StorageErrorCode.ChecksumMismatch,
      );
      await observed.head(key);
      await getBytes(observed, key);
      await collect(observed.list(key));
      await observed
        .putConditional(key, bytes, { size: 10, sha256: sha256(bytes), ifNoneMatch: '*' })
        .catch(() => {});
      await observed.delete(key);
      const seen = reports.map(([op, , outcome]) => `${op}:${outcome}`);
      for (const expected of [
        'put:ok',
        'head:ok',
        'get:ok',
        'list:ok',
        'put_conditional:error',
        'delete:ok',
      ]) {
        assert.ok(seen.includes(expected), `${expected} in ${seen.join(', ')}`);
      }
      for (const [, seconds] of reports) assert.ok(seconds >= 0 && seconds < 60);
    } finally {
      await observed.close();
    }
  });
}
