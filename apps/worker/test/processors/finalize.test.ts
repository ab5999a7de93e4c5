import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { finalizeJobId, parsePublishNotice, publishNoticeTopic } from '@condasync/queue';
import { processorTestWorld, testRecipes } from '../support/worker-under-test.ts';

describe('finalize processor', () => {
  const world = processorTestWorld();

  /** A sync whose packages all ended: its finalize jobs wait for a finalize worker. */
  async function downloaded(extra = ''): Promise<string> {
    const id = await world.w.submit(
      `channels: [${world.upstream.channelUrl()}]\nplatforms: [linux-64]\ndest_channel: recipes\nretries: 1\n${extra}`,
    );
    const workers = [world.w.start('plan'), world.w.start('package')];
    await world.w.waitFor(id, (v) => v.status === 'finalizing');
    await world.w.drained('package');
    await Promise.all(workers.map((worker) => worker.close()));
    return id;
  }

  test('publishes every subdir, ends the sync succeeded, writes channeldata, drops the staging, frees the channel', async () => {
    const id = await downloaded();
    assert.equal(
      await world.w.store.head('recipes/noarch/repodata.json'),
      null,
      'nothing is published before',
    );
    world.w.start('finalize');
    const view = await world.w.waitForEnd(id);
    assert.equal(view.status, 'succeeded', JSON.stringify(view));
    assert.deepEqual(view.subdirs.map((s) => [s.subdir, s.status, s.published]).sort(), [
      ['linux-64', 'published', 0],
      ['noarch', 'published', 32],
    ]);
    const upstreamRepodata = JSON.parse(await readFile(join(testRecipes, 'noarch', 'repodata.json'), 'utf8'));
    const published = JSON.parse((await world.w.text('recipes/noarch/repodata.json'))!);
    assert.deepEqual(published['packages.conda'], upstreamRepodata['packages.conda']);
    assert.ok(await world.w.store.head('recipes/noarch/repodata.json.zst'));
    const channeldata = JSON.parse((await world.w.text('recipes/channeldata.json'))!);
    assert.deepEqual(channeldata.subdirs, ['linux-64', 'noarch']);
    await world.w.drained('finalize');
    assert.deepEqual(await world.w.keys('.condasync/staging/'), []);
    assert.ok(
      await world.w.registry.acquireChannelLock('recipes', 'next-sync', 60_000),
      'the channel is free',
    );
  });

  test('announces each published subdir and the channel on Redis, for the APIs caching metadata', async () => {
    const id = await downloaded();
    const subscriber = world.w.redis.duplicate();
    const notices: unknown[] = [];
    subscriber.on('message', (_topic: string, message: string) => notices.push(parsePublishNotice(message)));
    await subscriber.subscribe(publishNoticeTopic(world.w.prefix));
    try {
      world.w.start('finalize');
      assert.equal((await world.w.waitForEnd(id)).status, 'succeeded');
      const deadline = Date.now() + 5_000;
      while (notices.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(
        notices.map((notice) => JSON.stringify(notice)).sort(),
        [
          { channel: 'recipes' },
          { channel: 'recipes', subdir: 'linux-64' },
          { channel: 'recipes', subdir: 'noarch' },
        ]
          .map((notice) => JSON.stringify(notice))
          .sort(),
      );
    } finally {
      subscriber.disconnect();
    }
  });

  test('a sync with a failed package ends partial and does not list it', async () => {
    const broken = 'dependent-1.0-0.conda';
    world.upstream.setFault(`noarch/${broken}`, { type: 'status', status: 404 });
    const id = await downloaded();
    world.w.start('finalize');
    const view = await world.w.waitForEnd(id);
    assert.equal(view.status, 'partial');
    const published = JSON.parse((await world.w.text('recipes/noarch/repodata.json'))!);
    assert.equal(Object.keys(published['packages.conda']).length, 31);
    assert.equal(published['packages.conda'][broken], undefined);
  });

  test('publishes with the config’s outputs and deletion grace', async () => {
    const id = await downloaded('shards: false\ncurrent_repodata: true\n');
    world.w.start('finalize');
    assert.equal((await world.w.waitForEnd(id)).status, 'succeeded');
    assert.ok(await world.w.store.head('recipes/noarch/current_repodata.json'), 'current_repodata: true');
    assert.equal(
      await world.w.store.head('recipes/noarch/repodata_shards.msgpack.zst'),
      null,
      'shards: false',
    );
    assert.ok(
      await world.w.store.head('.condasync/state/recipes/noarch/unlisted.json'),
      'the grace state is kept',
    );
  });

  test('a cancelled sync publishes nothing', async () => {
    const id = await downloaded();
    assert.ok(await world.w.registry.cancel(id));
    world.w.start('finalize');
    await world.w.drained('finalize');
    assert.equal(
      await (await world.w.queues.finalize.getJob(finalizeJobId(id, 'noarch')))?.returnvalue,
      'skipped: sync is cancelled',
    );
    assert.equal(await world.w.store.head('recipes/noarch/repodata.json'), null);
  });

  test('a finalize whose config cannot be read fails the sync with the reason, not leaving it finalizing', async () => {
    const id = await downloaded();
    await world.w.overwriteStoredConfig(id, JSON.stringify(['not', 'a', 'mapping']));
    world.w.start('finalize');
    const view = await world.w.waitForEnd(id);
    assert.equal(view.status, 'failed');
    assert.match(view.error ?? '', /finalize job failed: .*not a mapping/);
    assert.equal(await world.w.store.head('recipes/noarch/repodata.json'), null);
  });
});
