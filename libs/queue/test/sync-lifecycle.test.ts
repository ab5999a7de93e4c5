import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { testRedisUrl, uniqueTestName } from '../../../test/support/services.ts';
import { createRedisConnection } from '../src/connection.ts';
import { QueueError, QueueErrorCode } from '../src/errors.ts';
import {
  type FinalizeJobData,
  finalizeJobId,
  type PackageJobData,
  type PlanJobData,
  packageJobId,
  planJobId,
  QueueName,
} from '../src/queues.ts';
import { CHANNEL_LOCK_TTL_MS, PLAN_JOB_OPTIONS, SyncLifecycle } from '../src/sync-lifecycle.ts';
import { SyncRegistry } from '../src/sync-registry.ts';

describe('SyncLifecycle against a real Redis', () => {
  let redis: Redis;
  let registry: SyncRegistry;
  let queues: { plan: Queue<PlanJobData>; package: Queue<PackageJobData>; finalize: Queue<FinalizeJobData> };
  let lifecycle: SyncLifecycle;
  before(() => {
    redis = createRedisConnection(testRedisUrl(), { name: 'lifecycle-test' });
    const prefix = uniqueTestName('lifecycle');
    registry = new SyncRegistry(redis, { prefix });
    const options = { connection: redis, prefix };
    queues = {
      plan: new Queue(QueueName.plan, options),
      package: new Queue(QueueName.package, options),
      finalize: new Queue(QueueName.finalize, options),
    };
    lifecycle = new SyncLifecycle(registry, queues);
  });
  after(async () => {
    await Promise.all(Object.values(queues).map((queue) => queue.close()));
    await redis.quit();
  });

  const packages = async function* (count: number) {
    for (let index = 0; index < count; index++) {
      yield { subdir: 'noarch', filename: `p-${index}-0.conda`, channelIndex: 0, size: index + 1 };
    }
  };

  test('submit records a queued sync with its config and adds its plan job with the plan options', async () => {
    const id = await lifecycle.submit({ destChannel: 'ch', config: { dest_channel: 'ch', retries: 2 } });
    assert.equal(await registry.status(id), 'queued');
    assert.deepEqual(await registry.config(id), { dest_channel: 'ch', retries: 2 });
    const job = await queues.plan.getJob(planJobId(id));
    assert.deepEqual(job?.data, { syncId: id });
    assert.equal(job?.opts.attempts, PLAN_JOB_OPTIONS.attempts);
    assert.deepEqual(job?.opts.backoff, PLAN_JOB_OPTIONS.backoff);
  });

  test('a sync whose plan job cannot be added is failed at once, never left queued', async () => {
    // A plan queue whose connection is gone: its add fails as it would with Redis down.
    const connection = createRedisConnection(testRedisUrl(), { name: 'closed' });
    await connection.quit();
    const closed = new Queue<PlanJobData>(QueueName.plan, { connection, prefix: uniqueTestName('closed') });
    closed.on('error', () => {});
    const broken = new SyncLifecycle(registry, { plan: closed });
    const error = await broken.submit({ destChannel: 'ch', config: {} }).then(
      () => null,
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof QueueError, String(error));
    assert.equal(error.code, QueueErrorCode.PlanNotQueued);
    const { items } = await registry.list({ limit: 1 });
    assert.equal(items[0]?.status, 'failed');
    assert.equal(items[0]?.error, 'the plan job could not be queued');
    await closed.close().catch(() => {});
  });

  test('package jobs: one per file with deterministic ids and the given attempts; re-adding adds none', async () => {
    const id = await lifecycle.submit({ destChannel: 'pkgs', config: {} });
    assert.equal(await lifecycle.enqueuePackages(id, packages(2500), 4), 2500);
    await lifecycle.enqueuePackages(id, packages(2500), 4);
    const ids = await queues.package.getRanges(['waiting'], 0, -1);
    assert.equal(ids.filter((jobId) => jobId.includes(id)).length, 2500, 'a retried plan adds no duplicate');
    const job = await queues.package.getJob(packageJobId(id, 'noarch', 'p-7-0.conda'));
    assert.deepEqual(job?.data, {
      syncId: id,
      subdir: 'noarch',
      filename: 'p-7-0.conda',
      channelIndex: 0,
      size: 8,
    });
    assert.equal(job?.opts.attempts, 4);
  });

  test('the package that ends a subdir enqueues its finalize job, once', async () => {
    const id = await lifecycle.submit({ destChannel: 'fin', config: {} });
    await registry.recordPlan(id, [
      { subdir: 'noarch', selected: 2, planned: 2, skipped: 0, bytesPlanned: 3 },
    ]);
    const data = (filename: string) => ({ syncId: id, subdir: 'noarch', filename, channelIndex: 0, size: 1 });
    await lifecycle.finishPackage(data('a-1-0.conda'), { status: 'downloaded', bytes: 1 });
    assert.equal(await queues.finalize.getJob(finalizeJobId(id, 'noarch')), undefined);
    await lifecycle.finishPackage(data('b-1-0.conda'), { status: 'failed', code: 'X', reason: 'gone' });
    await lifecycle.finishPackage(data('b-1-0.conda'), { status: 'failed', code: 'X', reason: 'gone' });
    assert.ok(await queues.finalize.getJob(finalizeJobId(id, 'noarch')));
    assert.equal(await queues.finalize.count(), 1);
  });

  test('cancel ends the sync, removes its waiting jobs and frees its channel; a second cancel does nothing', async () => {
    const id = await lifecycle.submit({ destChannel: 'gone', config: {} });
    assert.ok(await lifecycle.acquireChannel('gone', id));
    await lifecycle.enqueuePackages(id, packages(3), 1);
    assert.deepEqual(await lifecycle.cancel(id), { cancelled: true, removedJobs: 4 });
    assert.equal(await registry.status(id), 'cancelled');
    assert.ok(await registry.acquireChannelLock('gone', 'next', CHANNEL_LOCK_TTL_MS), 'the channel is free');
    assert.deepEqual(await lifecycle.cancel(id), { cancelled: false, removedJobs: 0 });
  });

  test('fail ends the sync with the reason and frees its channel; an ended sync stays as it ended', async () => {
    const id = await lifecycle.submit({ destChannel: 'broken', config: {} });
    assert.ok(await lifecycle.acquireChannel('broken', id));
    assert.equal(await lifecycle.fail(id, 'plan job failed: upstream 500'), true);
    const view = await registry.get(id);
    assert.equal(view?.status, 'failed');
    assert.equal(view?.error, 'plan job failed: upstream 500');
    assert.ok(view?.finishedAt);
    assert.ok(await registry.acquireChannelLock('broken', 'next', CHANNEL_LOCK_TTL_MS));
    assert.equal(await lifecycle.fail(id, 'again'), false);
    assert.equal((await registry.get(id))?.error, 'plan job failed: upstream 500');
  });
});
