// Builds the API against the real Redis and a real object store, with a fresh queue namespace per
// app so tests running side by side never see each other's syncs or jobs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRedisConnection, type QueueName } from '@condasync/queue';
import { FsObjectStore, type ObjectStore } from '@condasync/storage';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import {
  TEST_SECRET_KEY,
  testRedisUrl,
  testS3Endpoint,
  uniqueTestName,
} from '../../../../test/support/services.ts';
import { type BuildAppOptions, buildApp, loadApiConfig } from '../../src/index.ts';

export const API_TOKEN = 'api-token-0123456789abcdef';
export const OTHER_API_TOKEN = 'api-token-fedcba9876543210';
export const CHANNEL_TOKEN = 'chan-tok-0123456789abcdef';

/** Log lines the app wrote, parsed, plus the raw text (to search for secrets). */
export class CapturedLogs {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  get text(): string {
    return this.lines.join('');
  }
  records(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export interface TestApp {
  app: FastifyInstance;
  redis: Redis;
  queuePrefix: string;
  logs: CapturedLogs;
  /** A queue handle of the app's namespace, for adding or inspecting jobs as a worker would. */
  queue(name: QueueName): Queue;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Extra environment for loadApiConfig (Redis and a scratch file:// storage are set already). */
  env?: Record<string, string>;
  store?: BuildAppOptions['store'];
  redis?: Redis;
  logLevel?: 'trace' | 'debug' | 'info' | 'warn';
  storageReadDeadlineMs?: number;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'condasync-api-'));
  const config = loadApiConfig({
    CONDASYNC_REDIS_URL: testRedisUrl(),
    CONDASYNC_STORAGE_URL: `file://${scratch}`,
    CONDASYNC_SECRET_KEY: TEST_SECRET_KEY,
    ...options.env,
  });
  const ownRedis = options.redis === undefined;
  const redis = options.redis ?? createRedisConnection(testRedisUrl(), { name: 'condasync-api-test' });
  const queuePrefix = uniqueTestName('api');
  const logs = new CapturedLogs();
  const app = buildApp({
    config,
    redis,
    queuePrefix,
    logger: { level: options.logLevel ?? 'info', stream: logs },
    ...(options.store === undefined ? {} : { store: options.store }),
    ...(options.storageReadDeadlineMs === undefined
      ? {}
      : { storageReadDeadlineMs: options.storageReadDeadlineMs }),
  });
  await app.ready();
  const queues: Queue[] = [];
  return {
    app,
    redis,
    queuePrefix,
    logs,
    queue(name) {
      const queue = new Queue(name, { connection: redis, prefix: queuePrefix });
      queues.push(queue);
      return queue;
    },
    async close() {
      for (const queue of queues) await queue.obliterate({ force: true }).catch(() => {});
      await Promise.all(queues.map((queue) => queue.close()));
      await app.close();
      // The app's own queues share this namespace; drop what the test left in Redis.
      const keys = await redis.keys(`${queuePrefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      if (ownRedis) await redis.quit();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

/** A filesystem store in a fresh temp folder; `dispose` removes the folder. */
export async function tempFsStore(): Promise<{ store: ObjectStore; root: string; dispose(): Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'condasync-api-store-'));
  const store = new FsObjectStore({ root });
  return {
    store,
    root,
    async dispose() {
      await store.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Creates a fresh bucket on the test S3 server (moto accepts unsigned bucket creation). */
export async function createTestBucket(): Promise<string> {
  const bucket = uniqueTestName('api-bucket');
  const response = await fetch(`${testS3Endpoint()}/${bucket}`, { method: 'PUT' });
  if (!response.ok) throw new Error(`creating bucket ${bucket} failed: HTTP ${response.status}`);
  return bucket;
}

export { testS3Store } from '../../../../test/support/s3-bucket.ts';

export const authHeader = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
