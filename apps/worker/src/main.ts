import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EnvSource } from '@condasync/env';
import { UpstreamHttp } from '@condasync/mirror';
import {
  type CleanJobData,
  CleanupRegistry,
  ConfigSeal,
  checkRedisPolicy,
  closeRedis,
  createRedisConnection,
  type FinalizeJobData,
  IMPORT_QUEUE,
  type ImportJobData,
  isRedisConnectionError,
  type PackageJobData,
  type PlanJobData,
  QueueName,
  RedisOutageReporter,
  SCHEDULE_QUEUE_NAME,
  type ScheduleJobData,
  ScheduleStore,
  SyncRegistry,
  settlesWithin,
  VERIFY_QUEUE,
  type VerifyJobData,
} from '@condasync/queue';
import { openConfiguredStore } from '@condasync/storage';
import { Queue, Worker } from 'bullmq';
import { pino } from 'pino';
import { loadWorkerConfig } from './config.ts';
import { startWorkerHttpServer } from './http-server.ts';
import { WorkerMetrics } from './metrics.ts';
import { cleanProcessor } from './processors/clean.ts';
import { finalizeProcessor } from './processors/finalize.ts';
import { importProcessor } from './processors/import.ts';
import { packageProcessor } from './processors/package.ts';
import { planProcessor } from './processors/plan.ts';
import { scheduleProcessor } from './processors/schedule.ts';
import { recordStalledFailure } from './processors/sync-job.ts';
import { verifyProcessor } from './processors/verify.ts';
import { WorkerReadiness } from './readiness.ts';
import { SyncConfigCache, SyncStatusCache, type WorkerServices } from './services.ts';

/**
 * Each shutdown step after the drain (force-closing workers, queues, the store, Redis) gets this
 * long: with Redis gone, BullMQ's close() and ioredis' quit() wait for ever.
 */
const CLOSE_STEP_MS = 2000;
/** A scrape must not hang on an unreachable Redis: queue depths are skipped after this. */
const QUEUE_COUNTS_TIMEOUT_MS = 2000;

export interface RunningWorker {
  /** The HTTP server's port (/metrics, /livez, /readyz; useful when CONDASYNC_WORKER_METRICS_PORT is 0). */
  metricsPort: number;
  close(): Promise<void>;
}

/**
 * Starts one worker process's BullMQ workers (plan, package, finalize) and its HTTP server. The
 * server listens first: a worker that cannot listen throws (EnvError) before it takes any job.
 * Redis and the store need not answer yet: the worker retries, saying so once per interval.
 * Any number of these processes can run against one Redis and one store.
 */
export async function startWorker(env: EnvSource = process.env): Promise<RunningWorker> {
  const config = loadWorkerConfig(env);
  const logger = pino({ level: config.logLevel, base: { component: 'worker', pid: process.pid } });

  // Filled once Redis is set up; /metrics reports queue depths only while Redis answers.
  const queueList: Queue[] = [];
  let redisUp = false;
  const metrics = new WorkerMetrics(async () => {
    if (!redisUp) return [];
    const counts = Promise.all(
      queueList.map(async (queue) => ({
        queue: queue.name,
        counts: await queue.getJobCounts(
          'waiting',
          'active',
          'delayed',
          'completed',
          'failed',
          'prioritized',
        ),
      })),
    );
    let result: Array<{ queue: string; counts: Record<string, number> }> = [];
    await settlesWithin(
      counts.then((value) => {
        result = value;
      }),
      QUEUE_COUNTS_TIMEOUT_MS,
    );
    return result;
  });
  let readiness: WorkerReadiness | null = null;
  const server: Server = await startWorkerHttpServer({
    host: config.metricsHost,
    port: config.metricsPort,
    registry: metrics.registry,
    readiness: () => readiness?.state() ?? null,
  });
  const metricsPort = (server.address() as AddressInfo).port;

  const redis = createRedisConnection(config.redisUrl, { name: 'condasync-worker' });
  const outage = new RedisOutageReporter(config.redisUrl, (line, state) =>
    state === 'down' ? logger.warn(line) : logger.info(line),
  ).watch(redis);
  redis.on('ready', () => {
    redisUp = true;
    checkRedisPolicy(redis).then(
      (policy) => {
        if (!policy.ok)
          logger.warn(
            { problems: policy.problems },
            'Redis is not configured as condasync needs (noeviction, AOF)',
          );
        if (policy.unverified !== undefined) logger.warn(policy.unverified);
      },
      (error: unknown) => logger.warn(`the Redis policy could not be read: ${(error as Error).message}`),
    );
  });
  redis.on('close', () => {
    redisUp = false;
  });

  const queueOptions = { connection: redis, prefix: config.queuePrefix };
  const queues = {
    plan: new Queue<PlanJobData>(QueueName.plan, queueOptions),
    package: new Queue<PackageJobData>(QueueName.package, queueOptions),
    finalize: new Queue<FinalizeJobData>(QueueName.finalize, queueOptions),
    clean: new Queue<CleanJobData>(QueueName.clean, queueOptions),
  };
  queueList.push(queues.plan, queues.package, queues.finalize, queues.clean);
  const store = openConfiguredStore(config.store, {
    onOperation: (operation, seconds, outcome) =>
      metrics.storageOperations.observe({ operation, outcome }, seconds),
  });
  readiness = new WorkerReadiness(redis, store, logger);
  readiness.start();
  /** Connection errors are one outage, said once per interval; anything else is logged as itself. */
  const onError = (source: string) => (error: Error) => {
    if (isRedisConnectionError(error)) outage.error(error);
    else logger.error({ source, err: error.message }, 'worker error');
  };
  for (const queue of queueList) queue.on('error', onError(`queue ${queue.name}`));
  const seal = config.secretKey === null ? null : new ConfigSeal(config.secretKey);
  const registry = new SyncRegistry(redis, { prefix: config.queuePrefix, seal });
  const services: WorkerServices = {
    config,
    store,
    registry,
    packageQueue: queues.package,
    finalizeQueue: queues.finalize,
    http: new UpstreamHttp({
      // One connection per package job in flight: a cap below the concurrency would leave jobs
      // waiting for a connection while the upstream's round trip is the bound (BENCHMARKS.md).
      connectionsPerHost: config.concurrency,
      onRequest: (outcome) => metrics.upstreamRequests.inc({ outcome }),
      publicAddressesOnly: !config.upstreamAllowListed,
    }),
    logger,
    metrics,
    syncConfigs: new SyncConfigCache(registry),
    syncStatuses: new SyncStatusCache(registry),
  };

  const workerOptions = {
    connection: redis,
    prefix: config.queuePrefix,
    lockDuration: config.jobLockMs,
    stalledInterval: config.jobLockMs,
  };
  const timed = metrics.instrument.bind(metrics);
  // Only the queues this process serves (e.g. plan on a few large-memory pods, packages on many).
  const serves = new Set(config.queues);
  const workers: Worker[] = [];
  if (serves.has('plan')) {
    workers.push(
      new Worker<PlanJobData>(QueueName.plan, timed(QueueName.plan, planProcessor(services)), {
        ...workerOptions,
        concurrency: 1,
      }),
    );
    // Verifications read whole repodata documents like plans do, so the plan workers take them.
    workers.push(
      new Worker<VerifyJobData>(VERIFY_QUEUE, timed('verify', verifyProcessor(services)), {
        ...workerOptions,
        concurrency: 1,
      }),
    );
  }
  if (serves.has('plan')) {
    // Schedule ticks only submit plan jobs: the processes that plan fire the schedules too.
    const schedules = new ScheduleStore(redis, { prefix: config.queuePrefix, seal });
    workers.push(
      new Worker<ScheduleJobData>(
        SCHEDULE_QUEUE_NAME,
        timed('schedule', scheduleProcessor(services, schedules, queues.plan)),
        { ...workerOptions, concurrency: 1 },
      ),
    );
  }
  if (serves.has('package')) {
    workers.push(
      new Worker<PackageJobData>(QueueName.package, timed(QueueName.package, packageProcessor(services)), {
        ...workerOptions,
        concurrency: config.concurrency,
      }),
    );
  }
  if (serves.has('finalize')) {
    workers.push(
      new Worker<FinalizeJobData>(
        QueueName.finalize,
        timed(QueueName.finalize, finalizeProcessor(services)),
        {
          ...workerOptions,
          concurrency: 1,
        },
      ),
    );
  }
  if (serves.has('finalize')) {
    // Imports publish metadata as finalize jobs do, so the finalize workers take them.
    workers.push(
      new Worker<ImportJobData>(IMPORT_QUEUE, timed('import', importProcessor(services)), {
        ...workerOptions,
        concurrency: 1,
      }),
    );
  }
  if (serves.has('clean')) {
    const cleanups = new CleanupRegistry(redis, { prefix: config.queuePrefix, seal });
    workers.push(
      new Worker<CleanJobData>(QueueName.clean, timed('clean', cleanProcessor(services, cleanups)), {
        ...workerOptions,
        concurrency: 1,
      }),
    );
  }
  for (const worker of workers) {
    metrics.serving(worker.name, worker.concurrency);
    worker.on('failed', (job, error) => {
      logger.warn(
        { queue: worker.name, job: job?.id, attempt: job?.attemptsMade, err: error.message },
        'job attempt failed',
      );
      // A verification, an import or a schedule tick has no sync to end: its failure is its job's state.
      if (
        worker.name !== VERIFY_QUEUE &&
        worker.name !== IMPORT_QUEUE &&
        worker.name !== SCHEDULE_QUEUE_NAME
      ) {
        void recordStalledFailure(services, job, error);
      }
    });
    worker.on('error', onError(`worker ${worker.name}`));
  }
  logger.info(
    { queues: config.queues, concurrency: config.concurrency, metricsPort, store: store.description },
    'worker started',
  );

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      readiness?.stop();
      // Without Redis no job can be completed or handed back: waiting would only delay the exit.
      // Active jobs keep their lock until it expires; BullMQ's stalled check then re-queues them.
      const drainMs = redis.status === 'ready' ? config.shutdownGraceMs : 0;
      logger.info(
        drainMs > 0
          ? `worker stopping: no new jobs; active ones have ${drainMs / 1000} s to finish or go back to the queue`
          : 'worker stopping: Redis is unreachable, so active jobs are left to the stalled-job check',
      );
      const drained = await settlesWithin(Promise.all(workers.map((w) => w.close())), drainMs);
      if (!drained) await settlesWithin(Promise.all(workers.map((w) => w.close(true))), CLOSE_STEP_MS);
      await settlesWithin(Promise.all(queueList.map((q) => q.close())), CLOSE_STEP_MS);
      await settlesWithin(services.http.close(), CLOSE_STEP_MS);
      await settlesWithin(store.close(), CLOSE_STEP_MS);
      server.closeAllConnections();
      await settlesWithin(new Promise<void>((resolve) => server.close(() => resolve())), CLOSE_STEP_MS);
      await closeRedis(redis, CLOSE_STEP_MS);
      logger.info({ drained }, 'worker stopped');
    })();
    return closing;
  };
  return { metricsPort, close };
}

/** After close(), a BullMQ connection that never closed (Redis gone) may not hold the process longer. */
const EXIT_AFTER_CLOSE_MS = 1000;

/**
 * Entry point of `condasync worker`: runs until SIGTERM/SIGINT, then stops within its drain time
 * (CONDASYNC_WORKER_SHUTDOWN_SECONDS plus a few bounded close steps), Redis reachable or not.
 */
export async function runWorkerProcess(env: EnvSource = process.env): Promise<void> {
  const worker = await startWorker(env);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await worker.close();
  setTimeout(() => process.exit(), EXIT_AFTER_CLOSE_MS).unref();
}
