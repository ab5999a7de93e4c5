// Soak: the distributed product (the API and two worker processes on a real Redis and a real S3
// server) runs sync after sync for --minutes while processes are killed and S3 misbehaves:
// a worker SIGKILLed and restarted, the API SIGKILLed and restarted, Redis killed (-9) and
// restarted from its AOF, and windows of S3 SlowDown / resets / slow bodies through the fault
// proxy. The invariant poller reads the bucket directly all along. At the end every published
// repodata is audited (each listed package stored with its size and sha256).
//
//   node bench/soak.bench.ts [--minutes 20] [--workers 2]
//
// Loopback only. It starts its own Redis (redis-server) and, unless CONDASYNC_TEST_S3_ENDPOINT
// names one, its own S3 server (moto_server from the repo's .venv, as `npm test` does). It prints
// the figures docs/reliability.md quotes, and exits 1 if an object was lost or an invariant broke.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { SyncView } from '@condasync/queue';
import { FaultWorld } from '../test/support/fault-world.ts';
import { freePort, startRestartableRedis } from '../test/support/restartable-redis.ts';

const REPO_ROOT = path.join(import.meta.dirname, '..');
const TERMINAL = new Set(['succeeded', 'partial', 'failed', 'cancelled']);
/** A sync that has not ended after this long is reported as stuck and not waited for. */
const SYNC_DEADLINE_MS = 180_000;

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function rssMiB(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

async function startMoto(): Promise<{ endpoint: string; child: ChildProcess | undefined }> {
  const given = process.env.CONDASYNC_TEST_S3_ENDPOINT;
  if (given) return { endpoint: given, child: undefined };
  const port = await freePort();
  const child = spawn(
    path.join(REPO_ROOT, '.venv/bin/moto_server'),
    ['-H', '127.0.0.1', '-p', String(port)],
    {
      stdio: 'ignore',
    },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(endpoint)).status < 500) return { endpoint, child };
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`moto_server did not start on ${endpoint}`);
    await sleep(200);
  }
}

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '20' },
    workers: { type: 'string', default: '2' },
  },
});
const minutes = Number(values.minutes);
const workerCount = Number(values.workers);
if (!(minutes > 0) || !Number.isInteger(workerCount) || workerCount < 1) {
  throw new Error(
    `--minutes must be > 0 and --workers an integer >= 1, got ${values.minutes} and ${values.workers}`,
  );
}

const moto = await startMoto();
process.env.CONDASYNC_TEST_S3_ENDPOINT = moto.endpoint;
const redis = await startRestartableRedis();
process.env.CONDASYNC_TEST_REDIS_URL = redis.url;
// The soak's poller looks less often than a test's: the bucket grows to hundreds of channels.
const world = await FaultWorld.create({ name: 'soak', redisUrl: redis.url, pollIntervalMs: 1000 });
await world.startApi();
await world.startWorkers(workerCount);

const figures = {
  syncs: { succeeded: 0, partial: 0, failed: 0, cancelled: 0, stuck: 0 },
  reruns: 0,
  kills: { worker: 0, api: 0, redis: 0 },
  faultWindows: 0,
  objectsAudited: 0,
  objectsLost: 0,
};
const stuck: string[] = [];
const rss: Array<{ minute: number; soak: number | null; api: number | null; workers: Array<number | null> }> =
  [];
const startedAt = Date.now();
const endAt = startedAt + minutes * 60_000;
let stopping = false;

async function postWithRetry(channel: string): Promise<string> {
  for (;;) {
    try {
      return await world.postSync(channel);
    } catch (error) {
      if (stopping) throw error;
      await sleep(500); // the API is being restarted
    }
  }
}

async function waitForEnd(id: string): Promise<SyncView | null> {
  const deadline = Date.now() + SYNC_DEADLINE_MS;
  while (Date.now() < deadline) {
    const view = await world.harness.registry.get(id);
    if (view && TERMINAL.has(view.status)) return view;
    await sleep(250);
  }
  return null;
}

/** One channel: synced until it succeeds (a partial or failed run is re-run, as an operator would). */
async function syncChannel(channel: string): Promise<void> {
  for (let attempt = 0; attempt < 4 && !stopping; attempt++) {
    if (attempt > 0) figures.reruns += 1;
    const id = await postWithRetry(channel);
    const view = await waitForEnd(id);
    if (view === null) {
      figures.syncs.stuck += 1;
      stuck.push(`${id} (${channel}): ${JSON.stringify(await world.harness.registry.get(id))}`);
      return;
    }
    figures.syncs[view.status as keyof typeof figures.syncs] += 1;
    if (view.status === 'succeeded') return;
  }
}

async function syncLoop(): Promise<void> {
  let n = 0;
  while (Date.now() < endAt) {
    // Mostly new channels (every package downloaded), every fourth a re-sync of an older one.
    const channel = n % 4 === 3 ? `soak-${Math.floor(n / 2)}` : `soak-${n}`;
    n += 1;
    await syncChannel(channel);
  }
}

async function chaosLoop(): Promise<void> {
  const events = ['worker', 'faults', 'api', 'faults', 'redis', 'faults'] as const;
  let i = 0;
  while (Date.now() < endAt - 20_000) {
    await sleep(15_000 + Math.random() * 10_000);
    if (Date.now() >= endAt - 20_000) break;
    const event = events[i++ % events.length]!;
    if (event === 'worker') {
      const alive = world.harness.workers.filter(
        (w) => w.child.exitCode === null && w.child.signalCode === null,
      );
      const victim = alive[Math.floor(Math.random() * alive.length)];
      if (victim !== undefined) {
        await victim.stop('SIGKILL');
        world.harness.workers.splice(world.harness.workers.indexOf(victim), 1);
        figures.kills.worker += 1;
        await world.startWorkers(1);
      }
    } else if (event === 'api') {
      await world.api?.stop('SIGKILL');
      figures.kills.api += 1;
      await sleep(1000);
      await world.startApi();
    } else if (event === 'redis') {
      await redis.kill();
      figures.kills.redis += 1;
      await sleep(2000);
      await redis.start();
    } else {
      figures.faultWindows += 1;
      for (const method of ['HEAD', 'PUT', 'GET']) {
        world.proxy.inject({ kind: 'slowdown', method, probability: 0.15 });
        world.proxy.inject({ kind: 'reset', method, probability: 0.05 });
      }
      world.proxy.inject({ kind: 'slow-body', method: 'GET', probability: 0.2, bytesPerSecond: 128 * 1024 });
      world.proxy.inject({ kind: 'reset-mid-upload', method: 'PUT', probability: 0.05 });
      await sleep(10_000);
      world.proxy.clear();
    }
  }
}

async function rssLoop(): Promise<void> {
  while (!stopping) {
    rss.push({
      minute: Math.round((Date.now() - startedAt) / 6_000) / 10,
      soak: rssMiB(process.pid),
      api: rssMiB(world.api?.child.pid),
      workers: world.harness.workers.map((w) => rssMiB(w.child.pid)),
    });
    for (let waited = 0; waited < 60_000 && !stopping; waited += 1000) await sleep(1000);
  }
}

/** Every published repodata, every listed package: present with the listed size and sha256. */
async function audit(): Promise<void> {
  const keys = await world.harness.listKeys('');
  for (const key of keys.filter((k) => /^soak-\d+\/noarch\/repodata\.json$/.test(k))) {
    const doc = JSON.parse((await world.harness.storedText(key))!) as Record<
      string,
      Record<string, { size: number; sha256: string }>
    >;
    for (const section of ['packages', 'packages.conda']) {
      for (const [filename, record] of Object.entries(doc[section] ?? {})) {
        figures.objectsAudited += 1;
        const packageKey = key.replace(/repodata\.json$/, filename);
        const info = await world.harness.store.head(packageKey);
        if (
          info === null ||
          info.size !== record.size ||
          (await world.harness.storedSha256(packageKey)) !== record.sha256
        ) {
          figures.objectsLost += 1;
          print(`LOST: ${packageKey} (listed by ${key})`);
        }
      }
    }
  }
}

print(`soak: ${minutes} min, ${workerCount} workers, S3 ${moto.endpoint} via fault proxy ${world.proxy.url}`);
const rssDone = rssLoop();
await Promise.all([syncLoop(), chaosLoop()]);
stopping = true;
await rssDone;
world.proxy.clear();
await world.poller.stop();
await audit();
const elapsed = (Date.now() - startedAt) / 60_000;
const injected = world.proxy.injected;

print();
print(`ran ${elapsed.toFixed(1)} min`);
print(
  `syncs ended: ${figures.syncs.succeeded} succeeded, ${figures.syncs.partial} partial, ${figures.syncs.failed} failed, ` +
    `${figures.syncs.cancelled} cancelled, ${figures.syncs.stuck} stuck (> ${SYNC_DEADLINE_MS / 1000} s); ` +
    `${figures.reruns} re-runs after a partial/failed run`,
);
print(
  `kills survived: ${figures.kills.worker} worker SIGKILL, ${figures.kills.api} API SIGKILL, ${figures.kills.redis} Redis kill -9`,
);
print(
  `S3 faults injected: ${figures.faultWindows} windows; ${injected.slowdown} SlowDown, ${injected.reset} resets, ` +
    `${injected['reset-mid-upload']} uploads cut, ${injected['slow-body']} slow bodies (${world.proxy.requests} requests proxied)`,
);
print(`objects audited: ${figures.objectsAudited}, lost: ${figures.objectsLost}`);
print(`invariant poller: ${world.poller.summary()}`);
print('RSS (MiB) over time: minute, soak process, API, workers');
for (const sample of rss) {
  print(`  ${sample.minute.toFixed(1)}\t${sample.soak}\t${sample.api}\t${sample.workers.join(' ')}`);
}
for (const line of stuck) print(`STUCK: ${line}`);

world.poller.start();
await world.close();
await redis.stop();
moto.child?.kill('SIGTERM');
const ok = figures.objectsLost === 0 && world.poller.violations.length === 0;
print(ok ? 'OK: no object lost, no invariant violated' : 'FAILED: see above');
process.exit(ok ? 0 : 1);
