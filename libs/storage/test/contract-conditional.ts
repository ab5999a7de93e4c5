import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type ObjectStore, StorageError, StorageErrorCode } from '../src/index.ts';
import type { ContractContext } from './contract.ts';
import { getBytes, payload, rejectsWith, sha256 } from './contract-helpers.ts';

function options(bytes: Uint8Array) {
  return { size: bytes.byteLength, sha256: sha256(bytes), contentType: 'application/json' };
}

/** Runs all writers at once; returns the index of each winner and checks every loser's error code. */
async function race(writers: (() => Promise<unknown>)[]): Promise<number[]> {
  const results = await Promise.allSettled(writers.map((write) => write()));
  const winners: number[] = [];
  results.forEach((result, index) => {
    if (result.status === 'fulfilled') winners.push(index);
    else {
      const error = result.reason as unknown;
      assert.ok(
        error instanceof StorageError && error.code === StorageErrorCode.PreconditionFailed,
        `loser ${index} should fail with PRECONDITION_FAILED, got ${String(error)}`,
      );
    }
  });
  return winners;
}

export function registerConditionalContract(
  context: ContractContext,
  backend: { atomicConditionalWrites: boolean },
): void {
  const { store, folder, makeStore } = context;

  it('putConditional ifNoneMatch "*" creates once; the second attempt fails and changes nothing', async () => {
    const key = `${folder()}/linux-64/repodata.json`;
    const first = Buffer.from('{"v":1}');
    const second = Buffer.from('{"v":2}');
    const created = await store().putConditional(key, first, { ...options(first), ifNoneMatch: '*' });
    assert.equal(created.sha256, sha256(first));
    assert.equal((await store().head(key))?.etag, created.etag);
    await rejectsWith(
      store().putConditional(key, second, { ...options(second), ifNoneMatch: '*' }),
      StorageErrorCode.PreconditionFailed,
      [key],
    );
    assert.deepEqual(await getBytes(store(), key), first);
    assert.equal((await store().head(key))?.contentType, 'application/json');
  });

  it('putConditional ifMatch replaces only the version it names', async () => {
    const key = `${folder()}/repodata.json`;
    const v1 = Buffer.from('{"v":1}');
    const v2 = Buffer.from('{"v":2}');
    const v3 = Buffer.from('{"v":3}');
    await rejectsWith(
      store().putConditional(key, v1, { ...options(v1), ifMatch: '"0123456789abcdef0123456789abcdef"' }),
      StorageErrorCode.PreconditionFailed,
      [key],
    );
    assert.equal(await store().head(key), null, 'ifMatch on a missing key creates nothing');
    const first = await store().putConditional(key, v1, { ...options(v1), ifNoneMatch: '*' });
    const second = await store().putConditional(key, v2, { ...options(v2), ifMatch: first.etag });
    assert.notEqual(second.etag, first.etag);
    assert.equal((await store().head(key))?.etag, second.etag);
    await rejectsWith(
      store().putConditional(key, v3, { ...options(v3), ifMatch: first.etag }),
      StorageErrorCode.PreconditionFailed,
      [key],
    );
    assert.deepEqual(await getBytes(store(), key), v2);
    // A plain put is a new version too: an ETag read before it is stale afterwards.
    await store().put(key, v3, options(v3));
    await rejectsWith(
      store().putConditional(key, v1, { ...options(v1), ifMatch: second.etag }),
      StorageErrorCode.PreconditionFailed,
    );
    assert.deepEqual(await getBytes(store(), key), v3);
  });

  it('validates the condition and the body before any I/O', async () => {
    const key = `${folder()}/meta.json`;
    const bytes = Buffer.from('{}');
    const bad = [{ ifMatch: '' }, { ifNoneMatch: 'etag' }, {}, { ifMatch: '"x"', ifNoneMatch: '*' }];
    for (const condition of bad) {
      await rejectsWith(
        store().putConditional(key, bytes, { ...options(bytes), ...condition } as never),
        StorageErrorCode.InvalidArgument,
      );
    }
    await rejectsWith(
      store().putConditional(key, bytes, { ...options(bytes), sha256: sha256(payload(2)), ifNoneMatch: '*' }),
      StorageErrorCode.ChecksumMismatch,
    );
    await rejectsWith(
      store().putConditional(key, bytes, { ...options(bytes), size: 3, ifNoneMatch: '*' }),
      StorageErrorCode.SizeMismatch,
    );
    assert.equal(await store().head(key), null);
  });

  if (backend.atomicConditionalWrites) {
    it('of concurrent conditional writers from separate store instances, exactly one wins', async () => {
      const writers: ObjectStore[] = [];
      for (let index = 0; index < 4; index++) writers.push(await makeStore());
      try {
        const base = folder();
        for (let round = 0; round < 5; round++) {
          const key = `${base}/create-${round}.json`;
          const bodies = Array.from({ length: 8 }, (_, index) =>
            Buffer.from(`{"writer":${index},"round":${round}}`),
          );
          const created = await race(
            bodies.map(
              (body, index) => () =>
                writers[index % writers.length]!.putConditional(key, body, {
                  ...options(body),
                  ifNoneMatch: '*',
                }),
            ),
          );
          assert.equal(created.length, 1, `round ${round}: ifNoneMatch winners ${created.join(',')}`);
          assert.deepEqual(await getBytes(store(), key), bodies[created[0]!]);

          const base0 = await store().head(key);
          assert.ok(base0 !== null);
          const updates = Array.from({ length: 8 }, (_, index) =>
            Buffer.from(`{"update":${index},"round":${round}}`),
          );
          const updated = await race(
            updates.map(
              (body, index) => () =>
                writers[index % writers.length]!.putConditional(key, body, {
                  ...options(body),
                  ifMatch: base0.etag,
                }),
            ),
          );
          assert.equal(updated.length, 1, `round ${round}: ifMatch winners ${updated.join(',')}`);
          assert.deepEqual(await getBytes(store(), key), updates[updated[0]!]);
        }
      } finally {
        await Promise.all(writers.map((writer) => writer.close()));
      }
    });
  }
}
