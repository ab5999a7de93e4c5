import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach } from 'node:test';
import { parseSyncConfig, silentLogger, UpstreamHttp } from '@condasync/mirror';
import {
  createRedisConnection,
  type FinalizeJobData,
  type PackageJobData,
  type PlanJobData,
  QueueName,
  SyncLifecycle,
  SyncRegistry,
  type SyncView,
  TERMINAL_STATUSES,
} from '@condasync/queue';
import { FsObjectStore } from '@condasync/storage';
import { type Processor, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type FixtureUpstream, startFixtureUpstream } from '../../../../test/support/fixture-upstream.ts';
import { testRedisUrl, uniqueTestName } from '../../../../test/support/services.ts';
import { loadWorkerConfig } from '../../src/config.ts';
import { WorkerMetrics } from '../../src/metrics.ts';
import { finalizeProcessor } from '../../src/processors/finalize.ts';
import { packageProcessor } from '../../src/processors/package.ts';
import { planProcessor } from '../../src/processors/plan.ts';
import { SyncConfigCache, SyncStatusCache, type WorkerServices } from '../../src/services.ts';

export type ProcessorName = 'plan' | 'package' | 'finalize';

const PROCESSORS = { plan: planProcessor, package: packageProcessor, finalize: finalizeProcessor } as const;

/**
 * One processor test's world: a real Redis under a queue prefix no other test uses, a filesystem
 * store in a temp folder, the three queues, and in-process BullMQ workers running the real
 * processors, started one queue at a time so a test controls which steps run.
 */
export class WorkerUnderTest {
  readonly prefix = uniqueTestName('proc');
  readonly redis: Redis;
  readonly registry: SyncRegistry;
  readonly queues: {
    plan: Queue<PlanJobData>;
    package: Queue<PackageJobData>;
    finalize: Queue<FinalizeJobData>;
  };
  readonly store: FsObjectStore;
  readonly dir: string;
  readonly http = new UpstreamHttp({
    throughputWindowMs: 1_000,
    headersTimeoutMs: 5_000,
    bodyTimeoutMs: 5_000,
  });
  readonly #workers: Worker[] = [];

  private constructor(dir: string) {
    this.dir = dir;
    this.redis = createRedisConnection(testRedisUrl(), { name: 'processor-test' });
    this.registry = new SyncRegistry(this.redis, { prefix: this.prefix });
    const options = { connection: this.redis, prefix: this.prefix };
    this.queues = {
      plan: new Queue<PlanJobData>(QueueName.plan, options),
      package: new Queue<PackageJobData>(QueueName.package, options),
      finalize: new Queue<FinalizeJobData>(QueueName.finalize, options),
    };
    this.store = new FsObjectStore({ root: join(dir, 'store') });
  }

  static async create(): Promise<WorkerUnderTest> {
    return new WorkerUnderTest(await mkdtemp(join(tmpdir(), 'condasync-processor-')));
  }

  /** Fresh services (own config cache) as main.ts builds them, on this test's Redis and store. */
  services(): WorkerServices {
    const config = loadWorkerConfig({
      CONDASYNC_REDIS_URL: testRedisUrl(),
      CONDASYNC_STORAGE_URL: `file://${join(this.dir, 'store')}`,
      CONDASYNC_WORK_DIR: join(this.dir, 'work'),
      CONDASYNC_QUEUE_PREFIX: this.prefix,
    });
    return {
      config,
      store: this.store,
      registry: this.registry,
      packageQueue: this.queues.package,
      finalizeQueue: this.queues.finalize,
      http: this.http,
      logger: silentLogger,
      metrics: new WorkerMetrics(async () => []),
      syncConfigs: new SyncConfigCache(this.registry),
      syncStatuses: new SyncStatusCache(this.registry),
    };
  }

  /** Starts a BullMQ worker running the real processor of `name` (with fresh services). */
  start(name: ProcessorName, options: { concurrency?: number } = {}): Worker {
    // Each processor takes its own queue's job type; the worker here is untyped.
    const processor = PROCESSORS[name](this.services()) as unknown as Processor;
    const worker = new Worker(QueueName[name], processor, {
      connection: this.redis,
      prefix: this.prefix,
      concurrency: options.concurrency ?? 4,
      lockDuration: 10_000,
    });
    worker.on('error', () => {});
    this.#workers.push(worker);
    return worker;
  }

  /** Submits a sync written as YAML exactly as POST /v1/syncs does: parse, then the lifecycle's submit. */
  submit(yaml: string, options: { planAttempts?: number } = {}): Promise<string> {
    const config = parseSyncConfig(yaml, { sourceName: 'request body' });
    const lifecycle = new SyncLifecycle(this.registry, this.queues);
    return lifecycle.submit({ destChannel: config.dest_channel, config }, options);
  }

  /** Replaces the stored config of a sync with `text` (what a damaged or foreign entry would hold). */
  async overwriteStoredConfig(syncId: string, text: string): Promise<void> {
    await this.redis.hset(`${this.prefix}:sync:${syncId}`, 'config', text);
  }

  async waitFor(id: string, done: (view: SyncView) => boolean, timeoutMs = 20_000): Promise<SyncView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await this.registry.get(id);
      if (view && done(view)) return view;
      if (Date.now() > deadline)
        throw new Error(`sync ${id} did not get there in time: ${JSON.stringify(view)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  waitForEnd(id: string, timeoutMs?: number): Promise<SyncView> {
    return this.waitFor(id, (view) => TERMINAL_STATUSES.has(view.status), timeoutMs);
  }

  /** Waits until the queue has no job left waiting, delayed or active. */
  async drained(name: ProcessorName, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const queue = this.queues[name] as Queue;
    for (;;) {
      const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
      if (Object.values(counts).every((count) => count === 0)) return;
      if (Date.now() > deadline) throw new Error(`${name} queue not drained: ${JSON.stringify(counts)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async text(key: string): Promise<string | null> {
    const object = await this.store.get(key);
    if (object === null) return null;
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async keys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const object of this.store.list(prefix)) keys.push(object.key);
    return keys.sort();
  }

  async close(): Promise<void> {
    // Gracefully: a job still running (the end of a sync outlives its status) must not write into a removed folder.
    await Promise.all(this.#workers.map((worker) => worker.close()));
    await Promise.all(Object.values(this.queues).map((queue) => queue.close()));
    await this.http.close();
    await this.store.close();
    await this.redis.quit();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** conda's test-recipes channel: 32 noarch packages, an empty linux-64. */
export const testRecipes = join(
  import.meta.dirname,
  '../../../../test/fixtures/conda-test-data/conda/tests/data/test-recipes',
);

/**
 * Registers a suite's hooks: one loopback fixture upstream serving test-recipes for the suite (its
 * faults cleared after each test), and a fresh WorkerUnderTest per test.
 */
export function processorTestWorld(): { readonly upstream: FixtureUpstream; readonly w: WorkerUnderTest } {
  let upstream: FixtureUpstream | undefined;
  let w: WorkerUnderTest | undefined;
  before(async () => {
    upstream = await startFixtureUpstream({ root: testRecipes });
  });
  after(() => upstream?.close());
  beforeEach(async () => {
    w = await WorkerUnderTest.create();
  });
  afterEach(async () => {
    upstream?.clearFaults();
    await w?.close();
  });
  return {
    get upstream() {
      return upstream!;
    },
    get w() {
      return w!;
    },
  };
}
