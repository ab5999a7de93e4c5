import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '../bin/condasync.js');

// The shim turns on Node's compile cache in the temp folder. Node's own recursive mkdir spins
// forever on some folders it cannot create (TMPDIR=/proc), so the shim must skip the cache there.
describe('bin/condasync.js', () => {
  for (const tmp of ['/proc', '/proc/no-such-folder', '/nonexistent-condasync-tmp']) {
    test(`starts with TMPDIR=${tmp} (no usable temp folder for the compile cache)`, async () => {
      const { stdout } = await run(process.execPath, [bin, '--version'], {
        env: { ...process.env, TMPDIR: tmp },
        timeout: 20_000,
        killSignal: 'SIGKILL',
      });
      assert.match(stdout, /^\d+\.\d+\.\d+\n$/);
    });
  }
});

/** Threads of a bare Node process before its libuv pool starts: main, V8's platform threads and a few. */
const THREADS_WITHOUT_POOL = 8;

/**
 * Threads of a `condasync worker` (it cannot reach its Redis) once its libuv pool has started: the
 * store's readiness probe starts it, with all its threads at once. The worker is killed after.
 */
async function workerThreads(extraEnv: Record<string, string>): Promise<number> {
  const child = spawn(process.execPath, [bin, 'worker'], {
    env: {
      ...process.env,
      CONDASYNC_REDIS_URL: 'redis://127.0.0.1:1',
      CONDASYNC_STORAGE_URL: 'file:///nonexistent-condasync-store',
      CONDASYNC_WORKER_METRICS_PORT: '0',
      CONDASYNC_WORKER_METRICS_HOST: '127.0.0.1',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const threads = () => readdirSync(`/proc/${child.pid}/task`).length;
    const deadline = Date.now() + 20_000;
    while (threads() <= THREADS_WITHOUT_POOL) {
      assert.ok(Date.now() < deadline, 'the worker started no thread pool within 20 s');
      await sleep(100);
    }
    await sleep(300);
    return threads();
  } finally {
    child.kill('SIGKILL');
  }
}

describe('libuv thread pool', () => {
  test('a worker runs 64 pool threads, so 16 package jobs do not queue behind 4 fsyncs', async () => {
    const threads = await workerThreads({});
    assert.ok(threads >= 64 + 1, `${threads} threads`);
  });

  test("an operator's UV_THREADPOOL_SIZE is kept", async () => {
    const threads = await workerThreads({ UV_THREADPOOL_SIZE: '2' });
    assert.ok(threads < 32, `${threads} threads`);
  });
});
