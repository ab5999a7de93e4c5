import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSyncConfig } from '@condasync/mirror';
import {
  type CleanJobData,
  CleanupLifecycle,
  CleanupRegistry,
  type CleanupView,
  QueueName,
} from '@condasync/queue';
import { Queue, Worker } from 'bullmq';
import { cleanProcessor } from '../../src/processors/clean.ts';
import { processorTestWorld, type WorkerUnderTest } from '../support/worker-under-test.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The clean queue and a clean worker running the real processor, on the test's Redis and store. */
function cleanWorld(w: WorkerUnderTest) {
  const cleanups = new CleanupRegistry(w.redis, { prefix: w.prefix });
  const queue = new Queue<CleanJobData>(QueueName.clean, { connection: w.redis, prefix: w.prefix });
  const lifecycle = new CleanupLifecycle(cleanups, w.registry, queue);
  let worker: Worker | undefined;
  return {
    cleanups,
    lifecycle,
    submit(yaml: string, dryRun: boolean): Promise<string> {
      const config = parseSyncConfig(yaml, { sourceName: 'request body' });
      return lifecycle.submit({ destChannel: config.dest_channel, config, dryRun });
    },
    start(): void {
      worker = new Worker<CleanJobData>(QueueName.clean, cleanProcessor(w.services(), cleanups), {
        connection: w.redis,
        prefix: w.prefix,
        lockDuration: 10_000,
      });
      worker.on('error', () => {});
    },
    async waitForEnd(id: string, timeoutMs = 20_000): Promise<CleanupView> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const view = await cleanups.get(id);
        if (view && (view.status === 'succeeded' || view.status === 'failed')) return view;
        if (Date.now() > deadline) throw new Error(`cleanup ${id} did not end: ${JSON.stringify(view)}`);
        await sleep(50);
      }
    },
    async close(): Promise<void> {
      await worker?.close();
      await queue.close();
    },
  };
}

describe('clean processor', () => {
  const world = processorTestWorld();
  const yaml = (pkgList: string) =>
    `channels: [${world.upstream.channelUrl()}]\nplatforms: []\ndest_channel: recipes\npkg_list: [${pkgList}]\n`;

  async function mirrored(pkgList: string): Promise<void> {
    const id = await world.w.submit(yaml(pkgList));
    const workers = [world.w.start('plan'), world.w.start('package'), world.w.start('finalize')];
    assert.equal((await world.w.waitForEnd(id)).status, 'succeeded');
    await world.w.drained('finalize');
    await Promise.all(workers.map((worker) => worker.close()));
  }

  test('waits while a sync holds the channel, then cleans; the report lists what it deleted', async () => {
    const clean = cleanWorld(world.w);
    try {
      await mirrored('dependency, versioned');
      await mirrored('dependency');
      // A sync of the channel is running: it holds the lock.
      const running = await world.w.submit(yaml('dependency'));
      assert.ok(await world.w.registry.acquireChannelLock('recipes', running, 60_000));
      const id = await clean.submit(yaml('dependency'), false);
      clean.start();
      await sleep(1500);
      assert.equal((await clean.cleanups.get(id))!.status, 'queued', 'the cleanup waits for the sync');
      assert.ok(await world.w.store.head('recipes/noarch/versioned-1.0-0.conda'), 'nothing deleted yet');

      await world.w.registry.fail(running, 'test over'); // ends it and frees the channel
      const view = await clean.waitForEnd(id, 30_000);
      assert.equal(view.status, 'succeeded', JSON.stringify(view));
      assert.equal(view.dryRun, false);
      assert.deepEqual(
        view.report!.files.filter((f) => f.kind === 'package').map((f) => [f.filename, f.size]),
        [
          ['versioned-1.0-0.conda', 3814],
          ['versioned-2.0-0.conda', 3838],
        ],
      );
      assert.equal(await world.w.store.head('recipes/noarch/versioned-1.0-0.conda'), null);
      assert.ok(await world.w.store.head('recipes/noarch/dependency-1.0-0.conda'));
      assert.ok(await world.w.registry.acquireChannelLock('recipes', 'next', 60_000), 'the channel is free');
    } finally {
      await clean.close();
    }
  });

  test('a sync waits while a cleanup holds the channel', async () => {
    const clean = cleanWorld(world.w);
    try {
      const cleanupId = await clean.submit(yaml('dependency'), true);
      await clean.cleanups.start(cleanupId);
      assert.ok(await clean.lifecycle.acquireChannel('recipes', cleanupId));
      const sync = await world.w.submit(yaml('dependency'));
      const plan = world.w.start('plan');
      await sleep(1500);
      assert.equal((await world.w.registry.get(sync))!.status, 'queued', 'the sync waits for the cleanup');

      await clean.lifecycle.releaseChannel('recipes', cleanupId);
      await world.w.waitFor(sync, (view) => view.status !== 'queued', 20_000);
      await plan.close();
    } finally {
      await clean.close();
    }
  });

  test('a dry run through the job deletes nothing and names what published repodata still lists', async () => {
    const clean = cleanWorld(world.w);
    try {
      await mirrored('dependency, versioned');
      const id = await clean.submit(yaml('dependency'), true);
      clean.start();
      const view = await clean.waitForEnd(id);
      assert.equal(view.status, 'succeeded');
      assert.equal(view.report!.dryRun, true);
      assert.deepEqual(
        view.report!.keptListed.map((f) => f.filename),
        ['versioned-1.0-0.conda', 'versioned-2.0-0.conda'],
        'the published repodata still lists them',
      );
      assert.ok(await world.w.store.head('recipes/noarch/versioned-1.0-0.conda'));
    } finally {
      await clean.close();
    }
  });
});
