// A throwaway redis-server on a Unix socket (no port to race for), for tests that need a Redis
// configured differently from the shared one, e.g. with an eviction policy /readyz must refuse.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export interface ThrowawayRedis {
  redis: Redis;
  stop(): Promise<void>;
}

export async function startThrowawayRedis(args: string[]): Promise<ThrowawayRedis> {
  const dir = await mkdtemp(path.join(tmpdir(), 'condasync-redis-'));
  const socket = path.join(dir, 'redis.sock');
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', '0', '--unixsocket', socket, '--dir', dir, '--save', '', ...args],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const redis = new Redis({ path: socket, lazyConnect: true, maxRetriesPerRequest: null });
  redis.on('error', () => {});
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await redis.connect();
      break;
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`redis-server ${args.join(' ')} did not start`, { cause: error });
      }
      redis.disconnect();
      await sleep(50);
    }
  }
  return {
    redis,
    async stop() {
      redis.disconnect();
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
