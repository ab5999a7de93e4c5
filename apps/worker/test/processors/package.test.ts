import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { finalizeJobId, packageJobId } from '@condasync/queue';
import { recordStalledFailure } from '../../src/processors/sync-job.ts';
import { processorTestWorld, testRecipes } from '../support/worker-under-test.ts';

const PACKAGES = 32;

describe('package processor', () => {
  const world = processorTestWorld();

  /** A sync planned by the plan processor, its package jobs waiting. */
  async function planned(retries = 3): Promise<string> {
    const id = await world.w.submit(
      `channels: [${world.upstream.channelUrl()}]\nplatforms: [linux-64]\ndest_channel: recipes\nretries: ${retries}\n`,
    );
    const plan = world.w.start('plan');
    await world.w.waitFor(id, (v) => v.status === 'downloading');
    await plan.close();
    return id;
  }

  const jobOf = (id: string, filename: string) =>
    world.w.queues.package.getJob(packageJobId(id, 'noarch', filename));

  test('copies every package verified, counts each once, and the last one enqueues the finalize', async () => {
    const id = await planned();
    world.w.start('package');
    const view = await world.w.waitFor(id, (v) => v.status === 'finalizing');
    assert.deepEqual(view.counts, { planned: PACKAGES, downloaded: PACKAGES, skipped: 0, failed: 0 });
    const file = 'dependency-1.0-0.conda';
    const expected = createHash('sha256')
      .update(await readFile(join(testRecipes, 'noarch', file)))
      .digest('hex');
    assert.equal((await world.w.store.head(`recipes/noarch/${file}`))?.sha256, expected);
    const finalize = await world.w.queues.finalize.getJob(finalizeJobId(id, 'noarch'));
    assert.ok(finalize, 'the finalize job of noarch is queued');
    assert.equal(await (await jobOf(id, file))?.getState(), 'completed');
  });

  test('a file already in the store is not fetched again', async () => {
    const id = await planned();
    const file = 'dependency-1.0-0.conda';
    const bytes = await readFile(join(testRecipes, 'noarch', file));
    await world.w.store.put(`recipes/noarch/${file}`, bytes, {
      size: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    world.upstream.resetCounts();
    world.w.start('package');
    await world.w.waitFor(id, (v) => v.status === 'finalizing');
    assert.equal(world.upstream.requests.count(`noarch/${file}`), 0);
    assert.equal(await (await jobOf(id, file))?.returnvalue, 'present');
  });

  test('a 404 fails the package at once with its reason; the sync goes on', async () => {
    const broken = 'dependent-1.0-0.conda';
    world.upstream.setFault(`noarch/${broken}`, { type: 'status', status: 404 });
    const id = await planned();
    world.upstream.resetCounts();
    world.w.start('package');
    const view = await world.w.waitFor(id, (v) => v.status === 'finalizing');
    assert.equal(view.status, 'finalizing', 'one failed package does not fail the sync');
    assert.deepEqual(
      view.failures.map((f) => [f.filename, f.code]),
      [[broken, 'UPSTREAM_HTTP']],
    );
    assert.match(view.failures[0]!.reason, /404/);
    const job = await jobOf(id, broken);
    assert.equal(await job?.getState(), 'failed');
    assert.equal(job?.attemptsMade, 1, 'a permanent fault is not retried');
    assert.equal(world.upstream.requests.count(`noarch/${broken}`), 1);
  });

  test('two integrity failures mean corrupt, however many retries are left', async () => {
    const corrupt = 'dependency-2.0-0.conda';
    world.upstream.setFault(`noarch/${corrupt}`, { type: 'corrupt' });
    const id = await planned(5);
    world.w.start('package');
    const view = await world.w.waitFor(id, (v) => v.status === 'finalizing', 30_000);
    assert.deepEqual(
      view.failures.map((f) => [f.filename, f.code]),
      [[corrupt, 'CHECKSUM_MISMATCH']],
    );
    const job = await jobOf(id, corrupt);
    assert.equal(job?.attemptsMade, 2);
    assert.equal(job?.data.integrityFailures, 1, 'the first mismatch was carried to the second attempt');
    assert.equal(await world.w.store.head(`recipes/noarch/${corrupt}`), null, 'no bad bytes landed');
  });

  test('one integrity failure is retried and the package lands', async () => {
    const flaky = 'dependency-2.0-0.conda';
    world.upstream.setFault(`noarch/${flaky}`, { type: 'corrupt', times: 1 });
    const id = await planned();
    world.w.start('package');
    const view = await world.w.waitFor(id, (v) => v.status === 'finalizing', 30_000);
    assert.deepEqual(view.failures, []);
    assert.equal((await jobOf(id, flaky))?.attemptsMade, 2, 'the second attempt landed it');
    assert.ok(await world.w.store.head(`recipes/noarch/${flaky}`));
  });

  test('a job whose config cannot be read fails its sync with the reason', async () => {
    const id = await planned();
    await world.w.overwriteStoredConfig(id, 'not json');
    world.w.start('package');
    const view = await world.w.waitForEnd(id);
    assert.equal(view.status, 'failed');
    assert.match(view.error ?? '', /package job failed: .*stored config is not JSON/);
    await world.w.drained('package');
    assert.equal(await world.w.store.head('recipes/noarch/repodata.json'), null, 'nothing was published');
  });

  test('a job BullMQ failed for stalling too often is recorded as a failed package', async () => {
    const id = await planned();
    const file = 'dependency-1.0-0.conda';
    const job = await jobOf(id, file);
    assert.ok(job);
    // Any other failure was recorded by the processor itself: the event handler leaves it alone.
    await recordStalledFailure(world.w.services(), job, new Error('connect ECONNREFUSED'));
    assert.deepEqual((await world.w.registry.get(id))?.failures, []);
    await recordStalledFailure(world.w.services(), job, new Error('job stalled more than allowable limit'));
    const view = await world.w.registry.get(id);
    assert.deepEqual(
      view?.failures.map((f) => [f.filename, f.code]),
      [[file, 'STALLED']],
    );
    assert.equal(view?.counts.failed, 1);
  });

  test('the jobs of a cancelled sync do nothing', async () => {
    const id = await planned();
    assert.ok(await world.w.registry.cancel(id));
    world.upstream.resetCounts();
    world.w.start('package');
    await world.w.drained('package');
    assert.equal(world.upstream.requests.total, 0);
    assert.equal((await world.w.registry.get(id))?.counts.downloaded, 0);
  });
});
