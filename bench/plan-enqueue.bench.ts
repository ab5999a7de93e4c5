// Distributed planning of a fresh 500 k-record subdir (docs/design.md §9: parse, filter, diff, enqueue in
// < 20 s with < 1 GB RSS): one `condasync worker` serving only the plan queue
// (CONDASYNC_WORKER_QUEUES=plan, so no package job runs meanwhile) plans a sync of a synthetic
// conda-forge-sized linux-64 into an empty filesystem store: it reads and filters the upstream
// repodata, stages the records in the store, records the counts in Redis and enqueues one package
// job per record. Timed from submission until the plan job completed.
//
//   node bench/plan-enqueue.bench.ts [--records 500000] [--dest /tmp] [--log]
//   BENCH_WORKER_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=/tmp/prof' node bench/plan-enqueue.bench.ts
//
// Needs `redis-server` on PATH (started here, AOF everysec, and stopped at the end). Reports the
// wall time, the worker's CPU time and peak RSS (VmHWM) and Redis's peak memory for the queued
// jobs, and first, as the reference, the streaming parse of the same upstream document alone (in
// its own process: the floor of anything that reads it).
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseRepodata } from '@condasync/conda';
import { resolveSyncConfig } from '@condasync/mirror';
import { createRedisConnection, planJobId, QueueName, SyncLifecycle, SyncRegistry } from '@condasync/queue';
import { Queue } from 'bullmq';
import { startRestartableRedis } from '../test/support/restartable-redis.ts';
import { startRole } from '../test/support/roles.ts';
import { argument, cpuSeconds, peakRssMiB as ownPeakRssMiB, print } from './support/bench-utils.ts';
import { writeSyntheticRepodata } from './support/synthetic-repodata.ts';

const EMPTY_NOARCH = '{"info":{"subdir":"noarch"},"packages":{},"packages.conda":{},"repodata_version":1}';

/** Peak resident set of a process, from /proc (Linux). */
function peakRssMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The reference, in a child process: stream, parse and validate the upstream document alone. */
async function parseAlone(file: string): Promise<void> {
  const wallStart = performance.now();
  const cpuStart = cpuSeconds();
  let records = 0;
  for await (const _ of parseRepodata(createReadStream(file), { subdir: 'linux-64' })) records++;
  print(
    JSON.stringify({
      seconds: (performance.now() - wallStart) / 1000,
      cpuSeconds: cpuSeconds() - cpuStart,
      peakRssMiB: ownPeakRssMiB(),
      records,
    }),
  );
}

async function main(): Promise<void> {
  const records = Number(argument('records', '500000'));
  const generateInto = argument('generate', '');
  if (generateInto !== '') {
    await writeSyntheticRepodata(generateInto, { count: records, subdir: 'linux-64' });
    return;
  }
  const parseOnly = argument('parse-alone', '');
  if (parseOnly !== '') return parseAlone(parseOnly);
  const dir = mkdtempSync(path.join(argument('dest', tmpdir()), 'condasync-plan-enqueue-'));
  const upstream = path.join(dir, 'upstream');
  mkdirSync(path.join(upstream, 'linux-64'), { recursive: true });
  mkdirSync(path.join(upstream, 'noarch'), { recursive: true });
  writeFileSync(path.join(upstream, 'noarch', 'repodata.json'), EMPTY_NOARCH);
  const generated = spawnSync(process.execPath, [
    import.meta.filename,
    '--generate',
    path.join(upstream, 'linux-64', 'repodata.json'),
    '--records',
    String(records),
  ]);
  if (generated.status !== 0) throw new Error(`generating the upstream failed:\n${generated.stderr}`);
  print(`load average before: ${loadavg()[0]!.toFixed(2)}`);
  const floor = spawnSync(
    process.execPath,
    [import.meta.filename, '--parse-alone', path.join(upstream, 'linux-64', 'repodata.json')],
    { encoding: 'utf8' },
  );
  if (floor.status !== 0) throw new Error(`parsing the upstream alone failed:\n${floor.stderr}`);
  const reference = JSON.parse(floor.stdout.trim()) as Record<string, number>;
  print(
    `reference, the streaming parse alone: ${reference['seconds']!.toFixed(2)} s, ` +
      `${reference['cpuSeconds']!.toFixed(2)} s CPU, peak RSS ${reference['peakRssMiB']!.toFixed(0)} MiB`,
  );

  const redisServer = await startRestartableRedis({ appendfsync: 'everysec' });
  const prefix = 'bench';
  const redis = createRedisConnection(redisServer.url, { name: 'bench' });
  const registry = new SyncRegistry(redis, { prefix });
  const planQueue = new Queue(QueueName.plan, { connection: redis, prefix });
  const packageQueue = new Queue(QueueName.package, { connection: redis, prefix });
  const worker = await startRole(
    'worker',
    {
      CONDASYNC_REDIS_URL: redisServer.url,
      CONDASYNC_STORAGE_URL: pathToFileURL(path.join(dir, 'store')).href,
      CONDASYNC_QUEUE_PREFIX: prefix,
      CONDASYNC_WORKER_QUEUES: 'plan',
      CONDASYNC_WORKER_METRICS_PORT: '0',
      CONDASYNC_WORKER_METRICS_HOST: '127.0.0.1',
      CONDASYNC_UPSTREAM_ALLOW: pathToFileURL(upstream).href,
      CONDASYNC_WORK_DIR: path.join(dir, 'work'),
      CONDASYNC_LOG_LEVEL: 'info',
      ...(process.env['BENCH_WORKER_NODE_OPTIONS']
        ? { NODE_OPTIONS: process.env['BENCH_WORKER_NODE_OPTIONS'] }
        : {}),
    },
    /"level":|./,
  );
  try {
    const config = resolveSyncConfig({
      channels: [pathToFileURL(upstream).href],
      platforms: ['linux-64'],
      dest_channel: 'forge',
    });
    const workerCpuBefore = cpuSecondsOf(worker.child.pid!);
    const started = performance.now();
    const id = await new SyncLifecycle(registry, { plan: planQueue }).submit(
      { destChannel: config.dest_channel, config },
      { planAttempts: 1 },
    );
    for (;;) {
      const state = await (await planQueue.getJob(planJobId(id)))?.getState();
      if (state === 'completed') break;
      if (state === 'failed') throw new Error(`the plan failed:\n${worker.output().slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = (performance.now() - started) / 1000;
    const waiting = await packageQueue.getWaitingCount();
    const memory = /used_memory_peak:(\d+)/.exec(await redis.info('memory'));
    const workerCpu = cpuSecondsOf(worker.child.pid!) - workerCpuBefore;
    print(
      `plan of ${records} records into an empty store: ${seconds.toFixed(1)} s, ` +
        `worker CPU ${workerCpu.toFixed(1)} s, ` +
        `${waiting} package jobs queued, worker peak RSS ${peakRssMiB(worker.child.pid!).toFixed(0)} MiB, ` +
        `Redis peak ${(Number(memory?.[1]) / 2 ** 20).toFixed(0)} MiB`,
    );
    print(`load average after: ${loadavg()[0]!.toFixed(2)}`);
    if (waiting !== records) throw new Error(`expected ${records} queued package jobs`);
    if (process.argv.includes('--log')) print(worker.output());
  } finally {
    await worker.stop();
    await planQueue.close();
    await packageQueue.close();
    await redis.quit();
    await redisServer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
// ioredis keeps trying to reach the Redis this script just stopped; nothing is left to wait for.
process.exit(0);
