import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { finalizeJobId, packageJobId, planJobId } from '@condasync/queue';
import { processorTestWorld } from '../support/worker-under-test.ts';

describe('plan processor', () => {
  const world = processorTestWorld();

  const config = (extra = '') =>
    `channels: [${world.upstream.channelUrl()}]\nplatforms: [linux-64]\ndest_channel: recipes\nretries: 2\n${extra}`;

  test('stages the plan, records the counts and enqueues one package job per missing file', async () => {
    const id = await world.w.submit(config());
    world.w.start('plan');
    await world.w.waitFor(id, (v) => v.status === 'downloading');
    await world.w.drained('plan'); // the package jobs are added after the status moves
    const view = (await world.w.registry.get(id))!;
    const noarch = view.subdirs.find((s) => s.subdir === 'noarch')!;
    assert.equal(noarch.planned, 32);
    assert.equal(view.counts.planned, 32);
    assert.equal(await world.w.queues.package.count(), 32);
    const job = await world.w.queues.package.getJob(packageJobId(id, 'noarch', 'dependency-1.0-0.conda'));
    assert.ok(job, 'the package job has its deterministic id');
    assert.equal(job.opts.attempts, 3, "attempts: the config's retries + 1");
    assert.equal(job.data.channelIndex, 0);
    assert.match(job.data.sha256 ?? '', /^[0-9a-f]{64}$/);
    // The package step checks an md5 only when there is no sha256: the job does not carry it.
    assert.equal(job.data.md5, undefined);
    // linux-64 has nothing to download: its finalize job is queued at once.
    assert.ok(await world.w.queues.finalize.getJob(finalizeJobId(id, 'linux-64')));
    assert.equal(await world.w.queues.finalize.getJob(finalizeJobId(id, 'noarch')), undefined);
    assert.deepEqual(await world.w.keys(`.condasync/staging/${id}/`), [
      `.condasync/staging/${id}/linux-64.downloads`,
      `.condasync/staging/${id}/linux-64.meta.json`,
      `.condasync/staging/${id}/linux-64.records`,
      `.condasync/staging/${id}/noarch.downloads`,
      `.condasync/staging/${id}/noarch.meta.json`,
      `.condasync/staging/${id}/noarch.records`,
    ]);
  });

  test('a sync with environments, submitted as the API does, runs to the end', async () => {
    // The API stores the resolved config (environments with `explicit: []`, `file: null`); the
    // worker used to refuse that form, and the sync stayed queued forever.
    const id = await world.w.submit(
      config('environments:\n  - name: app\n    specs: [another_dependent 1.*]\n'),
    );
    world.w.start('plan');
    world.w.start('package');
    world.w.start('finalize');
    const view = await world.w.waitForEnd(id);
    assert.equal(view.status, 'succeeded', JSON.stringify(view));
    assert.equal(view.error, null);
    const published = JSON.parse((await world.w.text('recipes/noarch/repodata.json'))!);
    assert.deepEqual(Object.keys(published['packages.conda']).sort(), [
      'another_dependent-1.0-0.conda',
      'dependency-2.0-0.conda',
      'dependent-2.0-0.conda',
    ]);
  });

  test('an unreadable stored config fails the sync with the reason, not leaving it queued', async () => {
    const id = await world.w.submit(config());
    await world.w.overwriteStoredConfig(id, '{"channels": [');
    const worker = world.w.start('plan');
    const view = await world.w.waitForEnd(id);
    assert.equal(view.status, 'failed');
    assert.match(view.error ?? '', /plan job failed: .*stored config is not JSON/);
    const job = await world.w.queues.plan.getJob(planJobId(id));
    assert.equal(await job?.getState(), 'failed');
    await worker.close();
  });

  test('a stored config the worker refuses fails the sync, naming the bad key', async () => {
    const id = await world.w.submit(config());
    await world.w.overwriteStoredConfig(
      id,
      JSON.stringify({ channels: [world.upstream.channelUrl()], zstd_level: 99 }),
    );
    world.w.start('plan');
    const view = await world.w.waitForEnd(id);
    assert.equal(view.status, 'failed');
    assert.match(view.error ?? '', /zstd_level/);
  });

  test('an upstream that keeps failing fails the sync after the attempts, and frees the channel', async () => {
    world.upstream.setFault('noarch/repodata.json', { type: 'status', status: 500 });
    try {
      // One attempt: the API's three are spaced by a backoff a unit test need not wait for.
      const id = await world.w.submit(config(), { planAttempts: 1 });
      world.w.start('plan');
      const view = await world.w.waitForEnd(id, 60_000);
      assert.equal(view.status, 'failed');
      assert.match(view.error ?? '', /plan job failed: .*500/);
      assert.ok(
        await world.w.registry.acquireChannelLock('recipes', 'another-sync', 60_000),
        'the failed sync no longer holds the channel',
      );
    } finally {
      world.upstream.clearFaults();
    }
  });

  test('waits while another sync holds the channel, then plans', async () => {
    assert.ok(await world.w.registry.acquireChannelLock('recipes', 'holder', 60_000));
    // The holder must look alive, or the lock is taken over.
    await world.w.registry.create({ id: 'holder', destChannel: 'recipes', config: {} });
    const id = await world.w.submit(config());
    world.w.start('plan');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(await world.w.registry.status(id), 'queued');
    assert.equal(await (await world.w.queues.plan.getJob(planJobId(id)))?.getState(), 'delayed');
    await world.w.registry.releaseChannelLock('recipes', 'holder');
    await world.w.waitFor(id, (v) => v.status === 'downloading', 20_000);
  });
});
