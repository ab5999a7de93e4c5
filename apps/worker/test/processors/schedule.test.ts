import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseSyncConfig } from '@condasync/mirror';
import {
  CHANNEL_LOCK_TTL_MS,
  runScheduleTick,
  SCHEDULE_QUEUE_NAME,
  type ScheduleJobData,
  type ScheduleRecord,
  ScheduleStore,
  Schedules,
  SyncLifecycle,
} from '@condasync/queue';
import { Queue, Worker } from 'bullmq';
import { scheduleProcessor } from '../../src/processors/schedule.ts';
import { processorTestWorld, type WorkerUnderTest } from '../support/worker-under-test.ts';

/** The schedule side of a worker world: the store, the scheduler queue and a tick worker. */
function scheduleWorld(w: WorkerUnderTest) {
  const store = new ScheduleStore(w.redis, { prefix: w.prefix });
  const queue = new Queue<ScheduleJobData>(SCHEDULE_QUEUE_NAME, { connection: w.redis, prefix: w.prefix });
  const schedules = new Schedules(store, queue);
  let worker: Worker | null = null;
  return {
    store,
    queue,
    schedules,
    startTicks(): void {
      worker = new Worker(SCHEDULE_QUEUE_NAME, scheduleProcessor(w.services(), store, w.queues.plan), {
        connection: w.redis,
        prefix: w.prefix,
        concurrency: 1,
      });
      worker.on('error', () => {});
    },
    async close(): Promise<void> {
      await worker?.close();
      await queue.close();
    },
  };
}

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('schedule processor', () => {
  const world = processorTestWorld();
  const config = () =>
    parseSyncConfig(
      `channels: [${world.upstream.channelUrl()}]\nplatforms: [linux-64]\ndest_channel: recipes\npkg_list: [versioned]\n`,
    );

  test('an every-second schedule starts a sync, skips ticks while it runs, starts the next once it ended, and stops when deleted', async () => {
    const s = scheduleWorld(world.w);
    try {
      const saved = await s.schedules.save({
        id: 'every-second',
        destChannel: 'recipes',
        config: config(),
        timing: { cron: null, every: 1000, tz: null },
      });
      assert.ok(saved.nextRunAt !== null, 'the scheduler has a next run');
      assert.ok(Math.abs(Date.parse(saved.nextRunAt) - Date.now()) < 5_000, saved.nextRunAt);

      s.startTicks();
      const started = (record: ScheduleRecord | null) =>
        record?.ticks.filter((t) => t.outcome === 'started') ?? [];
      const first = await until('a started tick', async () => started(await s.store.get('every-second'))[0]);
      assert.ok(first.syncId, 'the tick names its sync');
      assert.equal(await world.w.registry.status(first.syncId), 'queued');

      // No plan worker yet: the sync stays queued, so the next ticks are skipped with the reason.
      const skipped = await until('a skipped tick', async () =>
        (await s.store.get('every-second'))?.ticks.find((t) => t.outcome === 'skipped'),
      );
      assert.equal(skipped.reason, `the previous sync ${first.syncId} of channel recipes is still queued`);
      assert.equal(
        started(await s.store.get('every-second')).length,
        1,
        'no second sync while the first runs',
      );

      world.w.start('plan');
      world.w.start('package');
      world.w.start('finalize');
      const ended = await world.w.waitForEnd(first.syncId);
      assert.equal(ended.status, 'succeeded', JSON.stringify(ended));
      const second = await until('a second started tick', async () => {
        const ticks = started(await s.store.get('every-second'));
        return ticks.length >= 2 ? ticks[0] : undefined;
      });
      assert.notEqual(second.syncId, first.syncId);
      assert.ok(await world.w.text('recipes/noarch/repodata.json'), 'the scheduled sync published');
      await world.w.waitForEnd(second.syncId!);

      assert.equal(await s.schedules.remove('every-second'), true);
      assert.equal(await s.queue.getJobScheduler('every-second'), undefined);
      const syncsAfterDelete = (await world.w.registry.list({ limit: 100 })).items.length;
      await sleep(2_500);
      assert.equal((await world.w.registry.list({ limit: 100 })).items.length, syncsAfterDelete);
      assert.equal(await s.schedules.get('every-second'), null);
      assert.equal(await s.schedules.remove('every-second'), false);
    } finally {
      await s.close();
    }
  });

  test('a tick is skipped while another sync holds the channel, naming it', async () => {
    const s = scheduleWorld(world.w);
    try {
      await s.store.save({
        id: 'nightly',
        destChannel: 'recipes',
        config: config(),
        timing: { cron: '0 2 * * *', every: null, tz: null },
      });
      const manual = await world.w.submit(
        `channels: [${world.upstream.channelUrl()}]\nplatforms: [linux-64]\ndest_channel: recipes\n`,
      );
      assert.equal(await world.w.registry.acquireChannelLock('recipes', manual, CHANNEL_LOCK_TTL_MS), true);
      const lifecycle = new SyncLifecycle(world.w.registry, { plan: world.w.queues.plan });
      const tick = await runScheduleTick('nightly', { store: s.store, lifecycle });
      assert.deepEqual(
        { outcome: tick?.outcome, reason: tick?.reason },
        { outcome: 'skipped', reason: `sync ${manual} of channel recipes is still queued` },
      );
      // Once that sync ended, the tick runs.
      await world.w.registry.fail(manual, 'test');
      const next = await runScheduleTick('nightly', { store: s.store, lifecycle });
      assert.equal(next?.outcome, 'started');
      assert.equal((await s.store.get('nightly'))?.lastSyncId, next?.syncId);
      assert.equal(await runScheduleTick('absent', { store: s.store, lifecycle }), null);
    } finally {
      await s.close();
    }
  });
});
