import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { condaFormatRepo, scratch, syncInto, testConfig, testRecipes } from '../sync-helpers.ts';
import {
  exists,
  HOUR,
  publishedFileStamps,
  publishedRecords,
  readShardedSubdir,
  shardFiles,
} from './finalize-helpers.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('finalize: sharded repodata (CEP 16)', () => {
  test('the shards hold exactly the published records, and the index lists exactly the stored shards', async () => {
    const { dir, cleanup } = await scratch('shards');
    try {
      for (const [name, channel, platforms] of [
        ['recipes', testRecipes, []],
        ['cfr', condaFormatRepo, ['linux-64', 'osx-64', 'win-32', 'win-64']],
      ] as const) {
        const mirror = join(dir, name);
        await syncInto(
          mirror,
          join(dir, 'work'),
          testConfig({ channels: [`file://${channel}`], platforms, mirror_dir: mirror }),
        );
        for (const subdir of ['noarch', ...platforms]) {
          const published = await publishedRecords(mirror, subdir);
          const sharded = await readShardedSubdir(mirror, subdir);
          // Both ways: every published record in some shard, every shard record published, verbatim.
          assert.deepEqual(sharded.records, published, `${name}/${subdir}: shard records`);
          assert.deepEqual(sharded.index.info, { base_url: '', shards_base_url: './shards/', subdir });
          assert.equal(sharded.index.version, 1);
          const names = [...new Set(Object.values(published).map((r) => r['name'] as string))].sort();
          assert.deepEqual([...sharded.index.shards.keys()], names, `${name}/${subdir}: one shard per name`);
          assert.deepEqual(
            [...sharded.index.shards.values()].sort(),
            sharded.files,
            `${name}/${subdir}: files`,
          );
        }
      }
      // conda_format_repo's linux-64 has a .tar.bz2/.conda pair: both sections of one shard.
      const linux = await readShardedSubdir(join(dir, 'cfr'), 'linux-64');
      assert.ok(
        linux.records['zlib-1.2.11-h7b6447c_3.conda'] && linux.records['zlib-1.2.11-h7b6447c_3.tar.bz2'],
      );
      assert.equal((await readShardedSubdir(join(dir, 'recipes'), 'noarch')).index.shards.size, 25);
      assert.equal((await readShardedSubdir(join(dir, 'cfr'), 'noarch')).index.shards.size, 0);
    } finally {
      await cleanup();
    }
  });

  test('a re-run rewrites no published file and writes no shard', async () => {
    const { dir, cleanup } = await scratch('shards-rerun');
    try {
      const mirror = join(dir, 'mirror');
      const config = testConfig({ channels: [`file://${testRecipes}`], platforms: [], mirror_dir: mirror });
      await syncInto(mirror, join(dir, 'work'), config, { now: () => T0 });
      const before = await publishedFileStamps(mirror);
      assert.ok(before.has('noarch/repodata_shards.msgpack.zst') && before.has('channeldata.json'));
      await syncInto(mirror, join(dir, 'work'), config, { now: () => T0 + HOUR });
      assert.deepEqual(await publishedFileStamps(mirror), before);
    } finally {
      await cleanup();
    }
  });

  test('a changed package set gets a new shard; the old one stays for the grace period, then goes', async () => {
    const { dir, cleanup } = await scratch('shards-grace');
    try {
      const mirror = join(dir, 'mirror');
      const base = { channels: [`file://${testRecipes}`], platforms: [], mirror_dir: mirror };
      const sync = (pkgList: string[], at: number) =>
        syncInto(mirror, join(dir, 'work'), testConfig({ ...base, pkg_list: pkgList }), { now: () => at });

      await sync(['dependency', 'versioned'], T0);
      const first = await readShardedSubdir(mirror, 'noarch');
      const oldVersioned = first.index.shards.get('versioned')!;
      const dependency = first.index.shards.get('dependency')!;
      assert.deepEqual(Object.keys(first.records).sort(), [
        'dependency-1.0-0.conda',
        'dependency-2.0-0.conda',
        'versioned-1.0-0.conda',
        'versioned-2.0-0.conda',
      ]);

      await sync(['dependency', 'versioned >=2'], T0 + HOUR);
      const second = await readShardedSubdir(mirror, 'noarch');
      const newVersioned = second.index.shards.get('versioned')!;
      assert.notEqual(newVersioned, oldVersioned, 'versioned lost a record: new shard');
      assert.equal(second.index.shards.get('dependency'), dependency, 'dependency is unchanged: same shard');
      assert.deepEqual(Object.keys(second.records).sort(), [
        'dependency-1.0-0.conda',
        'dependency-2.0-0.conda',
        'versioned-2.0-0.conda',
      ]);
      // Clients holding the previous index can still fetch the old shard.
      assert.deepEqual(second.files, [dependency, newVersioned, oldVersioned].sort());

      await sync(['dependency', 'versioned >=2'], T0 + 24 * HOUR);
      assert.deepEqual(await shardFiles(mirror, 'noarch'), [dependency, newVersioned, oldVersioned].sort());
      await sync(['dependency', 'versioned >=2'], T0 + 25 * HOUR);
      assert.deepEqual(await shardFiles(mirror, 'noarch'), [dependency, newVersioned].sort(), 'grace over');
      assert.equal(await exists(join(mirror, 'noarch', 'versioned-1.0-0.conda')), false);
    } finally {
      await cleanup();
    }
  });

  test('shards: false removes the index at once and the shard files after the grace period', async () => {
    const { dir, cleanup } = await scratch('shards-off');
    try {
      const mirror = join(dir, 'mirror');
      const base = {
        channels: [`file://${testRecipes}`],
        platforms: [],
        mirror_dir: mirror,
        pkg_list: ['dependency'],
      };
      const sync = (shards: boolean, at: number) =>
        syncInto(mirror, join(dir, 'work'), testConfig({ ...base, shards }), { now: () => at });
      await sync(true, T0);
      const files = await shardFiles(mirror, 'noarch');
      assert.equal(files.length, 1);

      await sync(false, T0 + HOUR);
      const index = join(mirror, 'noarch', 'repodata_shards.msgpack.zst');
      assert.equal(
        await exists(index),
        false,
        'a stale index would hide the new repodata from shard clients',
      );
      assert.deepEqual(await shardFiles(mirror, 'noarch'), files, 'kept while old indexes may be cached');
      await sync(false, T0 + 26 * HOUR);
      assert.deepEqual(await shardFiles(mirror, 'noarch'), []);

      await sync(true, T0 + 27 * HOUR);
      assert.deepEqual(await shardFiles(mirror, 'noarch'), files, 'same records, same shard name');
      assert.ok((await readFile(index)).byteLength > 0);
    } finally {
      await cleanup();
    }
  });
});
