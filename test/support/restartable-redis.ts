// A redis-server of its own on a fixed loopback port with AOF in its own folder, which a test can
// kill (SIGKILL, as a crash) and start again on the same port and data: clients reconnect to it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export interface RestartableRedis {
  url: string;
  /** SIGKILL: no shutdown save, exactly what a crash or an OOM kill does. */
  kill(): Promise<void>;
  /** Starts it again on the same port, from the same AOF. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A loopback redis-server as production needs it: AOF on, no RDB snapshots, no eviction. */
export function redisServerArgs(port: number, dir: string, appendfsync: 'always' | 'everysec'): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    appendfsync,
    '--maxmemory-policy',
    'noeviction',
  ];
}

/**
 * With `appendfsync always` (the default here) every acknowledged write is on disk before a kill;
 * `everysec` is Redis's own default, for benchmarks.
 */
export async function startRestartableRedis(
  options: { appendfsync?: 'always' | 'everysec' } = {},
): Promise<RestartableRedis> {
  const dir = await mkdtemp(path.join(tmpdir(), 'condasync-redis-restart-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    const started = spawn('redis-server', redisServerArgs(port, dir, options.appendfsync ?? 'always'), {
      stdio: 'ignore',
    });
    child = started;
    exited = new Promise((resolve) => started.once('exit', () => resolve()));
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await probe.connect();
        // A restart replays the AOF before it answers; PING is refused with LOADING until then.
        await probe.ping();
        probe.disconnect();
        return;
      } catch (error) {
        probe.disconnect();
        if (Date.now() > deadline || started.exitCode !== null) {
          throw new Error(`redis-server on port ${port} did not start`, { cause: error });
        }
        await sleep(50);
      }
    }
  };
  const kill = async (): Promise<void> => {
    child?.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url,
    kill,
    start,
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
