import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSyncConfig } from '@condasync/mirror';
import { ConfigSeal, createRedisConnection, QueueName, SyncRegistry, type SyncView } from '@condasync/queue';
import type { S3ObjectStore } from '@condasync/storage';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type RunningRole, startRole } from './roles.ts';
import { createTestBucket, testS3Store } from './s3-bucket.ts';
import { TEST_SECRET_KEY, testRedisUrl, uniqueTestName } from './services.ts';
import { submitSyncAsApi } from './submit-sync.ts';

/**
 * Real Redis, a fresh bucket on the real S3 server, and helpers to run `condasync worker`
 * processes against them, submit syncs the way the API does, and read back what was published.
 */
export class DistributedHarness {
  readonly queuePrefix = uniqueTestName('e2e');
  readonly redis: Redis;
  readonly registry: SyncRegistry;
  readonly planQueue: Queue;
  readonly store: S3ObjectStore;
  /** Environment shared by every role process (storage, Redis, queue prefix). */
  readonly env: Record<string, string>;
  readonly workDir: string;
  workers: RunningRole[] = [];
  #started = 0;

  private constructor(env: Record<string, string>, bucket: string, workDir: string, redisUrl: string) {
    this.redis = createRedisConnection(redisUrl, { name: 'e2e-test' });
    this.registry = new SyncRegistry(this.redis, {
      prefix: this.queuePrefix,
      seal: new ConfigSeal(TEST_SECRET_KEY),
    });
    this.planQueue = new Queue(QueueName.plan, { connection: this.redis, prefix: this.queuePrefix });
    // Connection errors during a deliberate Redis outage are expected; ioredis reconnects by itself.
    this.redis.on('error', () => {});
    this.planQueue.on('error', () => {});
    this.store = testS3Store(bucket);
    this.workDir = workDir;
    this.env = {
      ...env,
      CONDASYNC_REDIS_URL: redisUrl,
      CONDASYNC_QUEUE_PREFIX: this.queuePrefix,
      // Stored configs are sealed, as in production: the token upstreams never rest in Redis in clear.
      CONDASYNC_SECRET_KEY: TEST_SECRET_KEY,
      CONDASYNC_WORKER_METRICS_PORT: '0',
      CONDASYNC_WORKER_METRICS_HOST: '127.0.0.1',
      CONDASYNC_WORKER_CONCURRENCY: '4',
      // Short locks so jobs of a killed worker are picked up again within seconds, not a minute.
      CONDASYNC_JOB_LOCK_SECONDS: '3',
      // The fixture upstreams listen on loopback, which workers reach only with an allow-list.
      CONDASYNC_UPSTREAM_ALLOW: 'http://127.0.0.1/',
    };
  }

  /** `redisUrl`: another Redis than the suite's shared one (e.g. one the test restarts). */
  static async create(name: string, redisUrl = testRedisUrl()): Promise<DistributedHarness> {
    const { bucket, env } = await createTestBucket(name);
    return new DistributedHarness(env, bucket, await mkdtemp(join(tmpdir(), 'condasync-e2e-')), redisUrl);
  }

  /**
   * Starts `condasync api` on a free loopback port with this harness's environment, the given API
   * token and `upstreamUrl` allowed; `base` is its address.
   */
  async startApi(options: {
    token: string;
    upstreamUrl: string;
    env?: Record<string, string>;
  }): Promise<{ api: RunningRole; base: string }> {
    const api = await startRole('api', {
      ...this.env,
      PORT: '0',
      HOST: '127.0.0.1',
      CONDASYNC_API_TOKENS: options.token,
      CONDASYNC_UPSTREAM_ALLOW: options.upstreamUrl,
      ...options.env,
    });
    const base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(api.output())?.[1];
    if (base === undefined) throw new Error(`the API did not say where it listens:\n${api.output()}`);
    return { api, base };
  }

  /** Starts `count` worker processes; `extraEnv` overrides the harness's environment. */
  async startWorkers(count: number, extraEnv: Record<string, string> = {}): Promise<RunningRole[]> {
    const started = await Promise.all(
      Array.from({ length: count }, () => {
        this.#started++;
        return startRole('worker', {
          ...this.env,
          CONDASYNC_WORK_DIR: join(this.workDir, `w${this.#started}`),
          ...extraEnv,
        });
      }),
    );
    this.workers.push(...started);
    return started;
  }

  /** Submits a sync exactly as `POST /v1/syncs` does (registry entry + plan job). */
  async submit(raw: Record<string, unknown>): Promise<string> {
    return submitSyncAsApi(this.registry, this.planQueue, resolveSyncConfig({ retries: 1, ...raw }));
  }

  async waitFor(id: string, done: (view: SyncView) => boolean, timeoutMs = 60_000): Promise<SyncView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await this.registry.get(id);
      if (view && done(view)) return view;
      if (Date.now() > deadline)
        throw new Error(`sync ${id} did not get there in time: ${JSON.stringify(view)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  waitForEnd(id: string, timeoutMs?: number): Promise<SyncView> {
    return this.waitFor(
      id,
      (v) => ['succeeded', 'partial', 'failed', 'cancelled'].includes(v.status),
      timeoutMs,
    );
  }

  async storedText(key: string): Promise<string | null> {
    const object = await this.store.get(key);
    if (object === null) return null;
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async storedSha256(key: string): Promise<string | null> {
    const object = await this.store.get(key);
    if (object === null) return null;
    const hash = createHash('sha256');
    for await (const chunk of object.body) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const object of this.store.list(prefix)) keys.push(object.key);
    return keys;
  }

  /** Stops every worker still running (SIGTERM) and releases everything; returns their exit codes. */
  async close(): Promise<Array<number | string>> {
    const codes = await Promise.all(this.workers.map((w) => w.stop()));
    await this.planQueue.close();
    await this.redis.quit();
    await this.store.close();
    await rm(this.workDir, { recursive: true, force: true });
    return codes;
  }
}
