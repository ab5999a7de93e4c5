import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FsObjectStore, type ObjectStore } from '@condasync/storage';
import { silentLogger } from '../../src/logger.ts';
import { finalizeSubdir } from '../../src/steps/finalize.ts';
import { scratch } from '../sync-helpers.ts';
import { testRecipesEntries } from './finalize-helpers.ts';

/** The real filesystem store, with the keys it was asked to write and delete, in order. */
function recording(store: ObjectStore): { store: ObjectStore; log: string[] } {
  const log: string[] = [];
  const wrapped: ObjectStore = {
    description: store.description,
    put: (key, body, options) => {
      log.push(`put ${key}`);
      return store.put(key, body, options);
    },
    putConditional: (key, body, options) => {
      log.push(`put ${key}`);
      return store.putConditional(key, body, options);
    },
    get: (key, options) => store.get(key, options),
    head: (key) => store.head(key),
    list: (prefix) => store.list(prefix),
    copy: (fromKey, toKey) => {
      log.push(`copy ${fromKey} ${toKey}`);
      return store.copy(fromKey, toKey);
    },
    delete: (key) => {
      log.push(`delete ${key}`);
      return store.delete(key);
    },
    flush: () => store.flush(),
    close: () => store.close(),
  };
  return { store: wrapped, log };
}

describe('finalizeSubdir', () => {
  test('writes shards, then the index, run_exports, current_repodata, repodata.json.bz2, .zst and repodata.json last', async () => {
    const { dir, cleanup } = await scratch('finalize-order');
    const fs = new FsObjectStore({ root: join(dir, 'store') });
    try {
      const { store, log } = recording(fs);
      const records = await testRecipesEntries();
      const input = {
        subdir: 'noarch',
        info: { subdir: 'noarch' },
        removed: [],
        records,
        zstdLevel: 3,
        shards: true,
        currentRepodata: true,
        repodataBz2: true,
        runExports: {
          info: {},
          entries: { 'dependency-2.0-0.conda': { run_exports: { weak: ['dependency'] } } },
        },
        now: 0,
      };
      const ctx = { store, channelPrefix: 'chan/', tempDir: join(dir, 'tmp'), logger: silentLogger };
      const result = await finalizeSubdir(input, ctx);

      const puts = log
        .filter((line) => line.startsWith('put chan/'))
        .map((line) => line.slice('put chan/noarch/'.length));
      const shardPuts = puts.filter((name) => name.startsWith('shards/'));
      assert.equal(shardPuts.length, 25);
      assert.deepEqual(puts.slice(0, 25), shardPuts, 'every shard before any metadata');
      assert.deepEqual(puts.slice(25), [
        'repodata_shards.msgpack.zst',
        'run_exports.json.zst',
        'run_exports.json',
        'current_repodata.json.zst',
        'current_repodata.json',
        'repodata.json.bz2',
        'repodata.json.zst',
        'repodata.json',
      ]);
      assert.deepEqual(result.written, puts.slice(25));
      assert.deepEqual(result.shards, { count: 25, written: 25, pendingDeletion: 0, deleted: 0 });
      assert.equal(result.records, 32);
      assert.equal(result.changed, true);

      log.length = 0;
      const again = await finalizeSubdir(input, ctx);
      assert.deepEqual(
        log.filter((line) => !line.includes('.condasync/')),
        [],
        'same records: nothing published is rewritten',
      );
      assert.deepEqual(again.written, []);
      assert.equal(again.changed, false);
      assert.equal(again.shards?.written, 0);

      // A caller that knows nothing of run_exports, current_repodata or repodata_bz2 (an import)
      // leaves them alone.
      log.length = 0;
      await finalizeSubdir({ subdir: 'noarch', info: {}, removed: [], records, zstdLevel: 3 }, ctx);
      assert.deepEqual(
        log.filter((line) => line.startsWith('delete chan/')),
        [],
      );

      // Turned off: removed after repodata.json, and the shard files start their grace period.
      const off = await finalizeSubdir(
        { ...input, shards: false, currentRepodata: false, repodataBz2: false, runExports: null },
        ctx,
      );
      assert.deepEqual(off.removedOutputs, [
        'repodata_shards.msgpack.zst',
        'run_exports.json',
        'run_exports.json.zst',
        'current_repodata.json',
        'current_repodata.json.zst',
        'repodata.json.bz2',
      ]);
      assert.equal(off.shards, undefined);
      for (const name of off.removedOutputs) assert.equal(await fs.head(`chan/noarch/${name}`), null, name);
      assert.equal((await fs.head('chan/noarch/repodata.json'))?.sha256, result.sha256);
    } finally {
      await fs.close();
      await cleanup();
    }
  });
});
