// Every role (`condasync api`, `worker`, `sync`) run as the real process, as an operator starts
// it: a bad environment, an unreachable Redis or store, a taken port and a Redis that goes away
// must each end in a clear line and a bounded exit, never a stack trace, a loop of ioredis
// traces, a worker that takes jobs without its port, or a process that ignores SIGTERM.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { QueueName } from '@condasync/queue';
import { Queue } from 'bullmq';
import { freePort, startRestartableRedis } from '../support/restartable-redis.ts';
import { type RoleProcess, spawnRole } from '../support/role-process.ts';
import { testRedisUrl, uniqueTestName } from '../support/services.ts';

/** The loaded 2-core test machine starts a role in 1–9 s; the bounds below are generous. */
const START_BOUND_MS = 30_000;
/** Default drain time of a worker (CONDASYNC_WORKER_SHUTDOWN_SECONDS) and of the API. */
const DRAIN_MS = 25_000;
const STACK_FRAME = /\n\s+at .+\(?.+:\d+:\d+\)?/;

let scratch: string;
before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'condasync-roles-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** The whole environment of a role: nothing is inherited from the test runner. */
function roleEnv(extra: Record<string, string>): Record<string, string> {
  return {
    HOME: scratch,
    CONDASYNC_WORK_DIR: path.join(scratch, 'work'),
    CONDASYNC_LOG_LEVEL: 'info',
    ...extra,
  };
}

async function occupyPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { port: (server.address() as { port: number }).port, server };
}

function assertNoStackTrace(role: RoleProcess): void {
  const output = role.stdout() + role.stderr();
  assert.doesNotMatch(output, STACK_FRAME, `a stack trace was printed:\n${output}`);
  assert.ok(!output.includes('[ioredis]'), `ioredis printed on its own:\n${output}`);
}

async function readyz(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  return response.status;
}

describe('finding 4: a bad environment → every problem under its variable, exit 2, no stack', () => {
  const bad = {
    CONDASYNC_STORAGE_URL: 'bogus://x',
    CONDASYNC_REDIS_URL: 'http://admin:hunter2-secret@redis:6379',
    CONDASYNC_LOG_LEVEL: 'loud',
  };

  for (const role of ['api', 'worker'] as const) {
    test(`condasync ${role}`, async () => {
      const proc = spawnRole([role], roleEnv(bad));
      const exit = await proc.exited();
      const stderr = proc.stderr();
      assert.equal(exit.code, 2, stderr);
      assert.ok(exit.ms < START_BOUND_MS, `took ${exit.ms} ms`);
      assert.match(stderr, /^error: invalid environment:\n/);
      assert.match(stderr, /\n {2}CONDASYNC_STORAGE_URL: 'bogus:\/\/x' has the unsupported scheme "bogus:"/);
      assert.match(
        stderr,
        /\n {2}CONDASYNC_REDIS_URL: 'http:\/\/admin:\*\*\*@redis:6379\/' is not a redis:\/\/ or rediss:\/\/ URL/,
      );
      assert.match(stderr, /\n {2}CONDASYNC_LOG_LEVEL: 'loud' is not one of trace, debug/);
      assert.ok(!stderr.includes('hunter2'), 'the Redis password is redacted');
      assertNoStackTrace(proc);
    });
  }

  test('condasync sync', async () => {
    const config = path.join(scratch, 'sync.yaml');
    await writeFile(config, 'channels: [file:///nowhere]\ndest_channel: x\n');
    const proc = spawnRole(
      ['sync', '-f', config],
      roleEnv({
        CONDASYNC_STORAGE_URL: 'bogus://x',
        CONDASYNC_S3_ENDPOINT: 'minio:9000',
        CONDASYNC_LOG_FORMAT: 'xml',
      }),
    );
    const exit = await proc.exited();
    const stderr = proc.stderr();
    assert.equal(exit.code, 2, stderr);
    assert.ok(exit.ms < START_BOUND_MS, `took ${exit.ms} ms`);
    assert.equal(
      stderr,
      [
        'error: invalid environment:',
        `  CONDASYNC_STORAGE_URL: 'bogus://x' has the unsupported scheme "bogus:"; expected file:///path or s3://bucket/prefix`,
        "  CONDASYNC_S3_ENDPOINT: 'minio:9000' is not an http(s) URL",
        "  CONDASYNC_LOG_FORMAT: 'xml' is not one of pretty, json",
        '',
      ].join('\n'),
    );
  });
});

describe('finding 5: Redis or the store unreachable → one line per retry, /readyz false, still running', () => {
  for (const role of ['worker', 'api'] as const) {
    test(`condasync ${role} keeps retrying, says so readably and stops on SIGTERM`, async () => {
      const deadRedis = await freePort();
      const deadS3 = await freePort();
      const httpPort = await freePort();
      const proc = spawnRole(
        [role],
        roleEnv({
          CONDASYNC_REDIS_URL: `redis://condasync:hunter2-secret@127.0.0.1:${deadRedis}`,
          CONDASYNC_STORAGE_URL: 's3://unreachable-bucket/mirror',
          CONDASYNC_S3_ENDPOINT: `http://127.0.0.1:${deadS3}`,
          AWS_ACCESS_KEY_ID: 'condasync-test',
          AWS_SECRET_ACCESS_KEY: 'condasync-test-secret',
          AWS_EC2_METADATA_DISABLED: 'true',
          ...(role === 'worker'
            ? { CONDASYNC_WORKER_METRICS_PORT: String(httpPort), CONDASYNC_WORKER_METRICS_HOST: '127.0.0.1' }
            : { PORT: String(httpPort), HOST: '127.0.0.1' }),
        }),
      );
      try {
        await proc.waitFor(role === 'worker' ? /"msg":"worker started"/ : /Server listening/, START_BOUND_MS);
        const redisLine = new RegExp(
          `Redis at redis://condasync:\\*\\*\\*@127\\.0\\.0\\.1:${deadRedis} is unreachable \\(connect ECONNREFUSED [^)]+\\); retrying every 2 s`,
          'g',
        );
        await proc.waitFor(redisLine);
        const watchedFrom = Date.now();
        assert.equal(await readyz(httpPort), 503, '/readyz is false while Redis is away');
        if (role === 'worker') {
          await proc.waitFor(/the object store s3:\/\/unreachable-bucket\/mirror at \S+ is unreachable \(/);
        }
        await new Promise((resolve) => setTimeout(resolve, 6000));
        const watchedMs = Date.now() - watchedFrom;
        const lines = (proc.stdout().match(redisLine) ?? []).length;
        // One line per 2 s retry interval, not one per attempt, connection and queue.
        assert.ok(
          lines >= 2 && lines <= Math.ceil(watchedMs / 2000) + 3,
          `${lines} Redis lines in ${watchedMs} ms`,
        );
        assert.equal(proc.child.exitCode, null, 'still running');
        assert.ok(!(proc.stdout() + proc.stderr()).includes('hunter2'), 'the password is redacted');
        assertNoStackTrace(proc);
      } finally {
        const exit = await proc.stop('SIGTERM');
        assert.equal(exit.code, 0, proc.stdout() + proc.stderr());
        assert.ok(exit.ms < DRAIN_MS, `stopped ${exit.ms} ms after SIGTERM`);
      }
    });
  }
});

describe('finding 6: a port that is taken → one clear line, exit non-zero, no job taken', () => {
  test('condasync worker never creates a BullMQ worker without its HTTP port', async () => {
    const prefix = uniqueTestName('roles-port');
    const queue = new Queue(QueueName.plan, { connection: { url: testRedisUrl() }, prefix });
    const taken = await occupyPort();
    try {
      const job = await queue.add('plan', { syncId: 'never-taken' }, { jobId: 'never-taken' });
      const proc = spawnRole(
        ['worker'],
        roleEnv({
          CONDASYNC_REDIS_URL: testRedisUrl(),
          CONDASYNC_STORAGE_URL: `file://${path.join(scratch, 'store')}`,
          CONDASYNC_QUEUE_PREFIX: prefix,
          CONDASYNC_WORKER_METRICS_HOST: '127.0.0.1',
          CONDASYNC_WORKER_METRICS_PORT: String(taken.port),
        }),
      );
      const exit = await proc.exited();
      assert.equal(exit.code, 2, proc.stdout() + proc.stderr());
      assert.ok(exit.ms < START_BOUND_MS, `took ${exit.ms} ms`);
      assert.equal(
        proc.stderr(),
        `error: cannot listen: CONDASYNC_WORKER_METRICS_PORT: ${taken.port} on 127.0.0.1 is already in use\n`,
      );
      assert.ok(!proc.stdout().includes('worker started'), proc.stdout());
      assert.equal(await job.getState(), 'waiting', 'the job was not taken');
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      await new Promise((resolve) => taken.server.close(resolve));
    }
  });

  test('condasync api', async () => {
    const taken = await occupyPort();
    try {
      const proc = spawnRole(
        ['api'],
        roleEnv({
          CONDASYNC_REDIS_URL: testRedisUrl(),
          CONDASYNC_STORAGE_URL: `file://${path.join(scratch, 'store')}`,
          HOST: '127.0.0.1',
          PORT: String(taken.port),
        }),
      );
      const exit = await proc.exited();
      assert.equal(exit.code, 2, proc.stdout() + proc.stderr());
      assert.ok(exit.ms < START_BOUND_MS, `took ${exit.ms} ms`);
      assert.equal(
        proc.stderr(),
        `error: cannot listen: PORT: ${taken.port} on 127.0.0.1 is already in use\n`,
      );
      assertNoStackTrace(proc);
    } finally {
      await new Promise((resolve) => taken.server.close(resolve));
    }
  });
});

describe('finding 7: SIGTERM after Redis has gone → the role ends within its drain time', () => {
  for (const role of ['worker', 'api'] as const) {
    test(`condasync ${role}`, async () => {
      const redis = await startRestartableRedis();
      const processes = [0, 1].map(() =>
        spawnRole(
          [role],
          roleEnv({
            CONDASYNC_REDIS_URL: redis.url,
            CONDASYNC_STORAGE_URL: `file://${path.join(scratch, 'store')}`,
            ...(role === 'worker'
              ? { CONDASYNC_WORKER_METRICS_PORT: '0' }
              : { PORT: '0', HOST: '127.0.0.1' }),
          }),
        ),
      );
      try {
        for (const proc of processes) {
          await proc.waitFor(
            role === 'worker' ? /"msg":"worker started"/ : /Server listening/,
            START_BOUND_MS,
          );
        }
        await redis.kill();
        // The clients see the socket close at once; give them a moment to be reconnecting.
        await new Promise((resolve) => setTimeout(resolve, 3000));
        const exits = await Promise.all(processes.map((proc) => proc.stop('SIGTERM')));
        for (const [index, exit] of exits.entries()) {
          const output = processes[index]!.stdout() + processes[index]!.stderr();
          assert.equal(exit.signal, null, `ended by ${exit.signal}, not by itself:\n${output}`);
          assert.equal(exit.code, 0, output);
          assert.ok(exit.ms < DRAIN_MS, `stopped ${exit.ms} ms after SIGTERM`);
          assertNoStackTrace(processes[index]!);
        }
      } finally {
        for (const proc of processes) await proc.stop('SIGKILL');
        await redis.stop();
      }
    });
  }
});
