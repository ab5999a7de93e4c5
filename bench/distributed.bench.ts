import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveSyncConfig } from '@condasync/mirror';
import {
  createRedisConnection,
  QueueName,
  SyncLifecycle,
  SyncRegistry,
  type SyncView,
} from '@condasync/queue';
import { Queue } from 'bullmq';
import { startRestartableRedis } from '../test/support/restartable-redis.ts';
import { type RunningRole, startRole } from '../test/support/roles.ts';
import { generate, startUpstream } from './support/bench-channel.ts';

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

async function runOnce(
  workers: number,
  options: { redisUrl: string; channelUrl: string; dest: string; concurrency: number; packages: number },
): Promise<number> {
  const scratch = mkdtempSync(path.join(options.dest, 'condasync-dist-bench-'));
  const prefix = `bench-${process.pid}-${Date.now()}`;
  const redis = createRedisConnection(options.redisUrl, { name: 'bench' });
  const registry = new SyncRegistry(redis, { prefix });
  const planQueue = new Queue(QueueName.plan, { connection: redis, prefix });
  const roles: RunningRole[] = [];
  try {
    const env = {
      CONDASYNC_REDIS_URL: options.redisUrl,
      CONDASYNC_STORAGE_URL: pathToFileURL(path.join(scratch, 'store')).href,
      CONDASYNC_QUEUE_PREFIX: prefix,
      CONDASYNC_WORKER_CONCURRENCY: String(options.concurrency),
      CONDASYNC_WORKER_METRICS_PORT: '0',
      CONDASYNC_WORKER_METRICS_HOST: '127.0.0.1',
      CONDASYNC_UPSTREAM_ALLOW: 'http://127.0.0.1/',
      CONDASYNC_LOG_LEVEL: 'info',
    };
    for (let i = 0; i < workers; i++) {
      roles.push(await startRole('worker', { ...env, CONDASYNC_WORK_DIR: path.join(scratch, `work-${i}`) }));
    }
    const config = resolveSyncConfig({
      channels: [options.channelUrl],
      platforms: ['linux-64'],
      dest_channel: 'bench',
    });
    const started = performance.now();
    const id = await new SyncLifecycle(registry, { plan: planQueue }).submit({
      destChannel: config.dest_channel,
      config,
    });
    let view: SyncView | null = null;
    for (;;) {
      view = await registry.get(id);
      if (view && ['succeeded', 'partial', 'failed', 'cancelled'].includes(view.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const seconds = (performance.now() - started) / 1000;
    if (view.status !== 'succeeded' || view.counts.downloaded !== options.packages) {
      throw new Error(
        `sync ended ${view.status} with ${view.counts.downloaded} downloaded: ${JSON.stringify(view.failures.slice(0, 3))}`,
      );
    }
    return seconds;
  } finally {
    await Promise.all(roles.map((role) => role.stop()));
    await planQueue.close();
    await redis.quit();
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      packages: { type: 'string', default: '4000' },
      workers: { type: 'string', default: '1,2' },
      rounds: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '16' },
      dest: { type: 'string', default: tmpdir() },
    },
  });
  const packages = Number(values.packages);
  const counts = values.workers.split(',').map(Number);
  const root = mkdtempSync(path.join(values.dest, 'condasync-dist-channel-'));
  generate(path.join(root, 'small'), packages, 'small');
  const upstream = await startUpstream(root);
  const redis = await startRestartableRedis({ appendfsync: 'everysec' });
  try {
    const results = new Map<number, number[]>();
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const workers of round % 2 === 0 ? counts : [...counts].reverse()) {
        const seconds = await runOnce(workers, {
          redisUrl: redis.url,
          channelUrl: `${upstream.url}/small`,
          dest: values.dest,
          concurrency: Number(values.concurrency),
          packages,
        });
        print(
          `round ${round + 1}: ${workers} worker(s) ${seconds.toFixed(2)} s, ${(packages / seconds).toFixed(0)} packages/s`,
        );
        results.set(workers, [...(results.get(workers) ?? []), seconds]);
      }
    }
    const best = (workers: number) => Math.min(...results.get(workers)!);
    print();
    for (const workers of counts) {
      const seconds = best(workers);
      print(
        `${workers} worker(s): best ${seconds.toFixed(2)} s, ${(packages / seconds).toFixed(0)} packages/s, ` +
          `${(packages / seconds / workers).toFixed(0)} per worker, speed-up ${(best(counts[0]!) / seconds).toFixed(2)}×`,
      );
    }
  } finally {
    upstream.child.kill();
    await redis.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
// ioredis keeps trying to reach the Redis this script just stopped; nothing is left to wait for.
process.exit(0);
