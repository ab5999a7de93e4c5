import assert from 'node:assert/strict';
import { it } from 'node:test';
import { StorageErrorCode } from '../src/index.ts';
import type { ContractContext } from './contract.ts';
import { getBytes, payload, putBytes, rejectsWith, sha256 } from './contract-helpers.ts';

export function registerCopyContract(context: ContractContext): void {
  const { store, folder } = context;

  it('copy: bytes, sha256, ETag, content type and cache control come along; the source is untouched by later puts to either key', async () => {
    const base = folder();
    const original = payload(70_000);
    await store().put(`${base}/repodata.json`, original, {
      size: original.byteLength,
      sha256: sha256(original),
      contentType: 'application/json',
      cacheControl: 'public, max-age=60',
    });
    const source = await store().head(`${base}/repodata.json`);
    assert.ok(source !== null);
    assert.equal(await store().copy(`${base}/repodata.json`, `${base}/saved/repodata.json`), true);
    const copy = await store().head(`${base}/saved/repodata.json`);
    assert.ok(copy !== null);
    assert.equal(copy.size, original.byteLength);
    assert.equal(copy.sha256, sha256(original));
    assert.equal(copy.etag, source.etag);
    assert.equal(copy.contentType, 'application/json');
    assert.equal(copy.cacheControl, 'public, max-age=60');

    // Replacing the source must not change the copy (a hard link must not share later writes).
    await putBytes(store(), `${base}/repodata.json`, payload(10));
    assert.deepEqual(await getBytes(store(), `${base}/saved/repodata.json`), original);

    // Copying back replaces the newer object whole and restores its ETag.
    assert.equal(await store().copy(`${base}/saved/repodata.json`, `${base}/repodata.json`), true);
    assert.deepEqual(await getBytes(store(), `${base}/repodata.json`), original);
    assert.equal((await store().head(`${base}/repodata.json`))?.etag, source.etag);
    assert.equal((await store().head(`${base}/repodata.json`))?.sha256, sha256(original));
  });

  it('copy of an absent key answers false and writes nothing', async () => {
    const base = folder();
    const kept = payload(5);
    await putBytes(store(), `${base}/kept`, kept);
    assert.equal(await store().copy(`${base}/missing`, `${base}/kept`), false);
    assert.deepEqual(await getBytes(store(), `${base}/kept`), kept);
    assert.equal(await store().copy(`${base}/missing`, `${base}/new`), false);
    assert.equal(await store().head(`${base}/new`), null);
  });

  it('copy validates both keys before any I/O', async () => {
    const base = folder();
    await rejectsWith(store().copy('../escape', `${base}/x`), StorageErrorCode.InvalidKey);
    await rejectsWith(store().copy(`${base}/x`, '/absolute'), StorageErrorCode.InvalidKey);
  });
}
