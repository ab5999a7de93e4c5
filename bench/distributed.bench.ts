// Distributed mode: 1, 2, 4 … `condasync worker` processes over a real Redis against an upstream
// that answers each request after --latency-ms (a real mirror of conda-forge is bound by round
// trips, not CPU), into a shared folder or an S3 server (SeaweedFS; moto for the record).
//
//   node bench/distributed.bench.ts [--packages 3000] [--workers 1,2,4] [--stores folder,seaweedfs]
//     [--latency-ms 200] [--concurrency 16] [--rounds 1] [--dest DIR] [--before CHECKOUT]
//
// --before runs every case a second time with the workers of another checkout (with its own
// node_modules), alternating with this one's, so a change is measured against the code before it
// on the same machine at the same time.
//
// Timed from submission (registry entry + plan job, as the API does it) until the registry says the
// sync ended. Beside each figure: the ideal, packages ÷ (workers × concurrency) × latency, and the
// CPU seconds of every process in the run (workers, Redis, upstream, S3 server), which on this
// two-core machine say where the time went. SeaweedFS needs .tools/bin/weed (scripts/lib/seaweedfs.sh).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
  type SyncStatus,
  TERMINAL_STATUSES,
} from '@condasync/queue';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { sampleValue } from '../test/support/prometheus-text.ts';
import { startRestartableRedis } from '../test/support/restartable-redis.ts';
import { type RunningRole, startRole } from '../test/support/roles.ts';
import { generate, startUpstream } from './support/bench-channel.ts';
import { processCpuSeconds } from './support/process-cpu.ts';
import { type BenchS3Server, type S3ServerKind, startS3Server } from './support/s3-servers.ts';

const STORES = ['folder', 'seaweedfs', 'moto'] as const;
type StoreKind = (typeof STORES)[number];

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

interface RunOptions {
  redisUrl: string;
  channelUrl: string;
  dest: string;
  concurrency: number;
  packages: number;
  s3: BenchS3Server | null;
  /** The CLI whose workers run (another checkout's for a "before" variant). */
  cliBin: string | undefined;
  /** Processes whose CPU seconds each run reports besides the workers'. */
  watched: { upstream: number | undefined };
}

interface RunResult {
  seconds: number;
  /** Seconds from submission until the plan had enqueued every package job, and until all were done. */
  planned: number;
  downloaded: number;
  /** CPU seconds of each process over the whole run. */
  cpu: CpuSnapshot;
  /** CPU milliseconds per package of each process while the package jobs ran (plan to downloads done). */
  perPackage: CpuSnapshot;
  /** Redis commands per package, most called first (`evalsha` counts each Lua script call once). */
  redisCommands: Array<[string, number]>;
  /** Mean milliseconds per package, over all workers: the whole job, the copy, the store's put. */
  means: { job: number; copy: number; put: number };
}

/** Sums of the package-time histograms of every worker, read from their /metrics. */
async function scrapeMeans(roles: readonly RunningRole[]): Promise<RunResult['means']> {
  const totals = { job: [0, 0], copy: [0, 0], put: [0, 0] };
  for (const role of roles) {
    const port = /"metricsPort":(\d+)/.exec(role.output())?.[1];
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const add = (into: number[], name: string, labels: Record<string, string>) => {
      into[0]! += sampleValue(text, `${name}_sum`, labels) ?? 0;
      into[1]! += sampleValue(text, `${name}_count`, labels) ?? 0;
    };
    add(totals.job, 'condasync_job_duration_seconds', { queue: QueueName.package, outcome: 'completed' });
    add(totals.copy, 'condasync_download_duration_seconds', {});
    add(totals.put, 'condasync_storage_operation_duration_seconds', { operation: 'put', outcome: 'ok' });
  }
  const mean = ([sum, count]: number[]) => (count! > 0 ? (sum! / count!) * 1000 : Number.NaN);
  return { job: mean(totals.job), copy: mean(totals.copy), put: mean(totals.put) };
}

interface CpuSnapshot {
  workers: number[];
  redis: number;
  upstream: number;
  s3: number | null;
}

function cpuBetween(from: CpuSnapshot, to: CpuSnapshot, scale = 1): CpuSnapshot {
  return {
    workers: to.workers.map((value, i) => (value - (from.workers[i] ?? 0)) * scale),
    redis: (to.redis - from.redis) * scale,
    upstream: (to.upstream - from.upstream) * scale,
    s3: to.s3 === null ? null : (to.s3 - (from.s3 ?? 0)) * scale,
  };
}

/** Redis's own CPU seconds (INFO cpu), which /proc would also give but only for a local server. */
async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return read('used_cpu_sys') + read('used_cpu_user');
}

/** Calls per command since the last CONFIG RESETSTAT, from INFO commandstats. */
async function redisCommandCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const match of (await redis.info('commandstats')).matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) {
    calls.set(match[1]!, Number(match[2]));
  }
  return calls;
}

async function runOnce(workers: number, options: RunOptions): Promise<RunResult> {
  const scratch = mkdtempSync(path.join(options.dest, 'condasync-dist-bench-'));
  const prefix = `bench-${process.pid}-${Date.now()}`;
  const redis = createRedisConnection(options.redisUrl, { name: 'bench' });
  const registry = new SyncRegistry(redis, { prefix });
  const planQueue = new Queue(QueueName.plan, { connection: redis, prefix });
  const roles: RunningRole[] = [];
  try {
    const env = {
      CONDASYNC_REDIS_URL: options.redisUrl,
      ...(options.s3 === null
        ? { CONDASYNC_STORAGE_URL: pathToFileURL(path.join(scratch, 'store')).href }
        : options.s3.env(prefix)),
      CONDASYNC_QUEUE_PREFIX: prefix,
      CONDASYNC_WORKER_CONCURRENCY: String(options.concurrency),
      CONDASYNC_WORKER_METRICS_PORT: '0',
      CONDASYNC_WORKER_METRICS_HOST: '127.0.0.1',
      CONDASYNC_UPSTREAM_ALLOW: 'http://127.0.0.1/',
      CONDASYNC_LOG_LEVEL: 'info',
    };
    for (let i = 0; i < workers; i++) {
      roles.push(
        await startRole(
          'worker',
          { ...env, CONDASYNC_WORK_DIR: path.join(scratch, `work-${i}`) },
          undefined,
          options.cliBin,
        ),
      );
    }
    const config = resolveSyncConfig({
      channels: [options.channelUrl],
      platforms: ['linux-64'],
      dest_channel: 'bench',
    });
    const cpu = async (): Promise<CpuSnapshot> => ({
      workers: roles.map((role) => processCpuSeconds(role.child.pid) ?? 0),
      redis: await redisCpuSeconds(redis),
      upstream: processCpuSeconds(options.watched.upstream) ?? 0,
      s3: options.s3 === null ? null : (processCpuSeconds(options.s3.pid) ?? 0),
    });
    const cpuBefore = await cpu();
    let cpuPlanned = cpuBefore;
    let cpuDownloaded = cpuBefore;
    await redis.config('RESETSTAT');
    const started = performance.now();
    const id = await new SyncLifecycle(registry, { plan: planQueue }).submit({
      destChannel: config.dest_channel,
      config,
    });
    // Only the status while it runs (one HGET per poll, so polling adds little to Redis's load).
    let status: SyncStatus | null = null;
    let planned = Number.NaN;
    let downloaded = Number.NaN;
    for (;;) {
      status = await registry.status(id);
      const at = (performance.now() - started) / 1000;
      if (Number.isNaN(planned) && status !== 'queued' && status !== 'planning') {
        planned = at;
        cpuPlanned = await cpu();
      }
      if (
        Number.isNaN(downloaded) &&
        status !== 'queued' &&
        status !== 'planning' &&
        status !== 'downloading'
      ) {
        downloaded = at;
        cpuDownloaded = await cpu();
      }
      if (status === null || TERMINAL_STATUSES.has(status)) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = await cpu();
    const means = await scrapeMeans(roles);
    const calls = await redisCommandCalls(redis);
    const redisCommands = [...calls]
      .map(([name, count]): [string, number] => [name, count / options.packages])
      .sort((a, b) => b[1] - a[1]);
    const view = (await registry.get(id))!;
    if (view.status !== 'succeeded' || view.counts.downloaded !== options.packages) {
      throw new Error(
        `sync ended ${view.status} with ${view.counts.downloaded} downloaded: ${JSON.stringify(view.failures.slice(0, 3))}`,
      );
    }
    return {
      seconds,
      planned,
      downloaded,
      means,
      redisCommands,
      cpu: cpuBetween(cpuBefore, cpuAfter),
      perPackage: cpuBetween(cpuPlanned, cpuDownloaded, 1000 / options.packages),
    };
  } finally {
    await Promise.all(roles.map((role) => role.stop()));
    await planQueue.close();
    await redis.quit();
    rmSync(scratch, { recursive: true, force: true });
  }
}

function describeCpu(cpu: CpuSnapshot, store: StoreKind, digits: number): string {
  const sum = cpu.workers.reduce((a, b) => a + b, 0);
  return (
    `workers ${sum.toFixed(digits)} [${cpu.workers.map((v) => v.toFixed(digits)).join(' ')}], ` +
    `redis ${cpu.redis.toFixed(digits)}, upstream ${cpu.upstream.toFixed(digits)}` +
    (cpu.s3 === null ? '' : `, ${store} ${cpu.s3.toFixed(digits)}`)
  );
}

function describe(store: StoreKind, workers: number, result: RunResult, ideal: number): string {
  return (
    `${store} ${workers} worker(s): ${result.seconds.toFixed(1)} s (ideal ${ideal.toFixed(1)} s), ` +
    `plan ${result.planned.toFixed(1)} s, downloads done ${result.downloaded.toFixed(1)} s; ` +
    `ms per package: job ${result.means.job.toFixed(0)}, copy ${result.means.copy.toFixed(0)}, ` +
    `put ${result.means.put.toFixed(0)}; ` +
    `\n  CPU s in all: ${describeCpu(result.cpu, store, 1)}` +
    `\n  CPU ms per package while downloading: ${describeCpu(result.perPackage, store, 2)}` +
    `\n  Redis commands per package: ${result.redisCommands
      .reduce((sum, [, perPackage]) => sum + perPackage, 0)
      .toFixed(1)} (${result.redisCommands
      .slice(0, 30)
      .map(([name, perPackage]) => `${name} ${perPackage.toFixed(2)}`)
      .join(', ')})`
  );
}

function parseList<T extends string>(flag: string, text: string, known: readonly T[]): T[] {
  const items = text.split(',').filter((item) => item !== '');
  for (const item of items) {
    if (!(known as readonly string[]).includes(item)) {
      throw new Error(`--${flag} lists unknown "${item}" (known: ${known.join(', ')})`);
    }
  }
  return items as T[];
}

function positive(flag: string, text: string, { integer = true } = {}): number {
  const value = Number(text);
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    throw new Error(`--${flag} ${text} is not valid: expected a positive ${integer ? 'integer' : 'number'}`);
  }
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      packages: { type: 'string', default: '3000' },
      workers: { type: 'string', default: '1,2,4' },
      stores: { type: 'string', default: 'folder,seaweedfs' },
      'latency-ms': { type: 'string', default: '200' },
      rounds: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '16' },
      dest: { type: 'string', default: tmpdir() },
      before: { type: 'string' },
    },
  });
  // "before": the same runs with another checkout's workers, alternating with this one's.
  const variants: Array<{ name: string; cliBin: string | undefined }> = [
    { name: 'after', cliBin: undefined },
  ];
  if (values.before !== undefined) {
    const cliBin = path.resolve(values.before, 'apps/cli/bin/condasync.js');
    if (!existsSync(cliBin)) throw new Error(`--before ${values.before}: no ${cliBin} there`);
    variants.unshift({ name: 'before', cliBin });
  }
  const packages = positive('packages', values.packages);
  const counts = values.workers.split(',').map((text) => positive('workers', text));
  const stores = parseList('stores', values.stores, STORES);
  const latencyMs = Number(values['latency-ms']);
  if (!(latencyMs >= 0)) throw new Error(`--latency-ms ${values['latency-ms']} is not valid: expected >= 0`);
  const concurrency = positive('concurrency', values.concurrency);
  const rounds = positive('rounds', values.rounds);

  const root = mkdtempSync(path.join(values.dest, 'condasync-dist-channel-'));
  generate(path.join(root, 'small'), packages, 'small');
  const upstream = await startUpstream(root, { latencyMs });
  const redis = await startRestartableRedis({ appendfsync: 'everysec' });
  const servers = new Map<StoreKind, BenchS3Server | null>();
  try {
    for (const store of stores) {
      servers.set(store, store === 'folder' ? null : await startS3Server(store as S3ServerKind, values.dest));
    }
    print(
      `${packages} packages, upstream answers after ${latencyMs} ms, ${concurrency} package jobs per worker`,
    );
    const results = new Map<string, RunResult[]>();
    for (let round = 0; round < rounds; round++) {
      for (const store of stores) {
        for (const workers of round % 2 === 0 ? counts : [...counts].reverse()) {
          for (const variant of (round + workers) % 2 === 0 ? variants : [...variants].reverse()) {
            const result = await runOnce(workers, {
              redisUrl: redis.url,
              channelUrl: `${upstream.url}/small`,
              dest: values.dest,
              concurrency,
              packages,
              s3: servers.get(store) ?? null,
              cliBin: variant.cliBin,
              watched: { upstream: upstream.child.pid },
            });
            const ideal = (packages / (workers * concurrency)) * (latencyMs / 1000);
            const label = variants.length > 1 ? `${variant.name} ` : '';
            print(`round ${round + 1}: ${label}${describe(store, workers, result, ideal)}`);
            const key = `${label}${store} ${workers}`;
            results.set(key, [...(results.get(key) ?? []), result]);
          }
        }
      }
    }
    print();
    for (const variant of variants) {
      const label = variants.length > 1 ? `${variant.name} ` : '';
      for (const store of stores) {
        const best = (workers: number) =>
          Math.min(...results.get(`${label}${store} ${workers}`)!.map((r) => r.seconds));
        for (const workers of counts) {
          const seconds = best(workers);
          const ideal = (packages / (workers * concurrency)) * (latencyMs / 1000);
          print(
            `${label}${store} ${workers} worker(s): best ${seconds.toFixed(1)} s (ideal ${ideal.toFixed(1)} s), ` +
              `${(packages / seconds).toFixed(0)} packages/s, speed-up ${(best(counts[0]!) / seconds).toFixed(2)}×`,
          );
        }
      }
    }
  } finally {
    upstream.child.kill();
    await redis.stop();
    for (const server of servers.values()) await server?.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
// ioredis keeps trying to reach the Redis this script just stopped; nothing is left to wait for.
process.exit(0);
