import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startFixtureUpstream } from '../../../test/support/fixture-upstream.ts';
import { allRecords, readJson, scratch, syncInto, testConfig, testRecipes } from './sync-helpers.ts';

// A mirror made by condasync offers shards; a second condasync syncing a pkg_list from it must
// read just the shards it needs, and publish the same records as from the full repodata.json.
test('a pkg_list sync from a sharded upstream reads only the needed shards and publishes the same records', async () => {
  const { dir, cleanup } = await scratch('sharded-upstream');
  try {
    const first = join(dir, 'first');
    await syncInto(
      first,
      join(dir, 'work1'),
      testConfig({ channels: [`file://${testRecipes}`], platforms: ['linux-64'], mirror_dir: first }),
    );
    const upstream = await startFixtureUpstream({ root: first });
    try {
      const viaShards = join(dir, 'via-shards');
      const config = {
        channels: [upstream.channelUrl()],
        platforms: ['linux-64'],
        pkg_list: ['another_dependent'],
        include_dependencies: true,
      };
      await syncInto(viaShards, join(dir, 'work2'), testConfig({ ...config, mirror_dir: viaShards }));
      const paths = [...upstream.requests.byPath.keys()];
      assert.deepEqual(
        paths.filter((p) => p.includes('repodata.json')),
        [],
        'no repodata.json was read',
      );
      assert.deepEqual(paths.filter((p) => p.endsWith('repodata_shards.msgpack.zst')).sort(), [
        'linux-64/repodata_shards.msgpack.zst',
        'noarch/repodata_shards.msgpack.zst',
      ]);
      assert.equal(
        paths.filter((p) => p.includes('/shards/')).length,
        3,
        'the shards of another_dependent, dependent, dependency',
      );

      const viaFull = join(dir, 'via-full');
      await syncInto(
        viaFull,
        join(dir, 'work3'),
        testConfig({ ...config, channels: [`file://${testRecipes}`], mirror_dir: viaFull }),
      );
      const a = allRecords(await readJson(join(viaShards, 'noarch', 'repodata.json')));
      const b = allRecords(await readJson(join(viaFull, 'noarch', 'repodata.json')));
      assert.equal(Object.keys(a).length, 6);
      assert.deepEqual(a, b);
    } finally {
      await upstream.close();
    }
  } finally {
    await cleanup();
  }
});
