import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FsObjectStore, type ObjectStore, StorageError, StorageErrorCode } from '@condasync/storage';
import { silentLogger } from '../../src/logger.ts';
import { UNDO_PREFIX } from '../../src/steps/finalize/undo.ts';
import { finalizeSubdir } from '../../src/steps/finalize.ts';
import { scratch } from '../sync-helpers.ts';
import { testRecipesEntries } from './finalize-helpers.ts';

/** The real filesystem store, refusing every put of a key that `refuse` matches (as S3 under SlowDown). */
function refusing(store: ObjectStore, refuse: RegExp): ObjectStore {
  return {
    description: store.description,
    put: async (key, body, options) => {
      if (refuse.test(key))
        throw new StorageError(StorageErrorCode.Backend, `put of ${key} refused`, { key });
      return store.put(key, body, options);
    },
    putConditional: (key, body, options) => store.putConditional(key, body, options),
    get: (key, options) => store.get(key, options),
    head: (key) => store.head(key),
    list: (prefix, options) => store.list(prefix, options),
    copy: (fromKey, toKey) => store.copy(fromKey, toKey),
    delete: (key) => store.delete(key),
    flush: () => store.flush(),
    close: () => store.close(),
  };
}

/** key → "etag sha256" of every object under `prefix` (shard files aside). */
async function snapshot(store: ObjectStore, prefix: string): Promise<Record<string, string>> {
  const objects: Record<string, string> = {};
  for await (const info of store.list(prefix)) {
    if (info.key.includes('/shards/')) continue;
    const head = await store.head(info.key);
    objects[info.key] = `${head?.etag} ${head?.sha256}`;
  }
  return objects;
}

async function keysUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.list(prefix)) keys.push(info.key);
  return keys;
}

describe('finalizeSubdir rollback', () => {
  test('a refused repodata.json put puts every overwritten metadata file back and removes the new ones', async () => {
    const { dir, cleanup } = await scratch('finalize-rollback');
    const fs = new FsObjectStore({ root: join(dir, 'store') });
    try {
      const records = await testRecipesEntries();
      const ctx = { store: fs, channelPrefix: 'chan/', tempDir: join(dir, 'tmp'), logger: silentLogger };
      // Published before: shards, repodata.json(.zst, .bz2); no current_repodata, no run_exports.
      const first = { subdir: 'noarch', info: {}, removed: [], records, zstdLevel: 3, repodataBz2: true };
      await finalizeSubdir(first, ctx);
      const before = await snapshot(fs, 'chan/noarch/');
      assert.ok(before['chan/noarch/repodata.json.zst'] !== undefined);
      assert.ok(before['chan/noarch/repodata_shards.msgpack.zst'] !== undefined);

      // One record fewer, and two outputs that did not exist before.
      const changed = {
        ...first,
        records: records.slice(1),
        currentRepodata: true,
        runExports: {
          info: {},
          entries: { 'dependency-2.0-0.conda': { run_exports: { weak: ['dependency'] } } },
        },
      };
      await assert.rejects(
        finalizeSubdir(changed, { ...ctx, store: refusing(fs, /\/noarch\/repodata\.json$/) }),
        /put of chan\/noarch\/repodata\.json refused/,
      );
      assert.deepEqual(await snapshot(fs, 'chan/noarch/'), before, 'every metadata file as it was');
      assert.deepEqual(await keysUnder(fs, UNDO_PREFIX), [], 'no saved copy left behind');

      // The same change with a working store publishes it all (the rollback left nothing in the way).
      const result = await finalizeSubdir(changed, ctx);
      assert.equal(result.changed, true);
      assert.ok(result.written.includes('current_repodata.json'));
      assert.deepEqual(await keysUnder(fs, UNDO_PREFIX), [], 'a successful publish drops its copies');
      assert.notEqual(
        (await fs.head('chan/noarch/repodata.json'))?.etag,
        before['chan/noarch/repodata.json']?.split(' ')[0],
      );
    } finally {
      await fs.close();
      await cleanup();
    }
  });
});
