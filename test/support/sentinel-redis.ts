// A Redis primary, one replica and three sentinels (Debian's redis-server and redis-sentinel) on
// loopback ports of their own, in a folder of their own, for tests that fail Redis over.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort, redisServerArgs } from './restartable-redis.ts';

export const SENTINEL_MASTER_NAME = 'condasync';

export interface SentinelRedis {
  /** `redis+sentinel://127.0.0.1:S1,127.0.0.1:S2,127.0.0.1:S3/condasync` */
  readonly url: string;
  /** Port of the current primary, as the sentinels report it. */
  primaryPort(): Promise<number>;
  /** SENTINEL FAILOVER, then waits until the sentinels name a new primary that accepts writes. */
  failover(timeoutMs?: number): Promise<{ from: number; to: number }>;
  stop(): Promise<void>;
}

async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`, { cause: lastError });
    await sleep(100);
  }
}

function client(port: number): Redis {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  return redis;
}

export async function startSentinelRedis(): Promise<SentinelRedis> {
  const dir = await mkdtemp(path.join(tmpdir(), 'condasync-sentinel-'));
  const [primary, replica, ...sentinelPorts] = (await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  )) as [number, number, number, number, number];
  const children: ChildProcess[] = [];
  const start = (command: string, args: string[]): void => {
    children.push(spawn(command, args, { stdio: 'ignore' }));
  };

  for (const [name, port] of [
    ['primary', primary],
    ['replica', replica],
  ] as const) {
    const nodeDir = path.join(dir, name);
    await mkdir(nodeDir);
    start('redis-server', [
      ...redisServerArgs(port, nodeDir, 'everysec'),
      ...(name === 'replica' ? ['--replicaof', '127.0.0.1', String(primary)] : []),
    ]);
  }
  await waitUntil('the replica did not finish its first sync with the primary', 15_000, async () => {
    const redis = client(replica);
    try {
      const info = await redis.info('replication');
      return /master_link_status:up/.test(info) ? true : undefined;
    } finally {
      redis.disconnect();
    }
  });

  for (const port of sentinelPorts) {
    const conf = path.join(dir, `sentinel-${port}.conf`);
    // Sentinels rewrite their config file as they learn the topology: each needs its own.
    await writeFile(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${primary} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
        '',
      ].join('\n'),
    );
    start('redis-sentinel', [conf]);
  }

  const askSentinels = async (): Promise<number | undefined> => {
    for (const port of sentinelPorts) {
      const sentinel = client(port);
      try {
        const address = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER_NAME)) as
          | [string, string]
          | null;
        if (address !== null) return Number(address[1]);
      } catch {
        // this sentinel is not up yet; ask the next
      } finally {
        sentinel.disconnect();
      }
    }
    return undefined;
  };
  // Every sentinel must know the replica (and each other) before a failover can pick it.
  await waitUntil('the sentinels did not all see the replica and each other', 20_000, async () => {
    for (const port of sentinelPorts) {
      const sentinel = client(port);
      try {
        const replicas = (await sentinel.call('SENTINEL', 'replicas', SENTINEL_MASTER_NAME)) as unknown[];
        const peers = (await sentinel.call('SENTINEL', 'sentinels', SENTINEL_MASTER_NAME)) as unknown[];
        if (replicas.length < 1 || peers.length < sentinelPorts.length - 1) return undefined;
      } finally {
        sentinel.disconnect();
      }
    }
    return true;
  });

  return {
    url: `redis+sentinel://${sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',')}/${SENTINEL_MASTER_NAME}`,
    primaryPort: async () => {
      const port = await askSentinels();
      if (port === undefined) throw new Error('no sentinel names a primary');
      return port;
    },
    async failover(timeoutMs = 20_000) {
      const from = (await askSentinels()) ?? primary;
      const sentinel = client(sentinelPorts[0]!);
      try {
        await sentinel.call('SENTINEL', 'FAILOVER', SENTINEL_MASTER_NAME);
      } finally {
        sentinel.disconnect();
      }
      const to = await waitUntil('the sentinels did not promote the replica', timeoutMs, async () => {
        const port = await askSentinels();
        return port !== undefined && port !== from ? port : undefined;
      });
      await waitUntil('the new primary did not take writes', timeoutMs, async () => {
        const redis = client(to);
        try {
          return (await redis.set('condasync-failover-probe', String(Date.now()))) === 'OK'
            ? true
            : undefined;
        } finally {
          redis.disconnect();
        }
      });
      return { from, to };
    },
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGKILL');
            }),
        ),
      );
      await rm(dir, { recursive: true, force: true });
    },
  };
}
