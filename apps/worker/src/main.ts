import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpstreamHttp } from '@condasync/mirror';
import {
  checkRedisPolicy,
  createRedisConnection,
  type FinalizeJobData,
  type PackageJobData,
  type PlanJobData,
  QueueName,
  SyncRegistry,
} from '@condasync/queue';
import { openStore } from '@condasync/storage';
import { Queue, Worker } from 'bullmq';
import { pino } from 'pino';
import { loadWorkerConfig } from './config.ts';
import { WorkerMetrics } from './metrics.ts';
import { finalizeProcessor } from './processors/finalize.ts';
import { packageProcessor } from './processors/package.ts';
import { planProcessor } from './processors/plan.ts';
import { SyncConfigCache, type WorkerServices } from './services.ts';

/** How long a graceful stop waits for active jobs before giving them back to the queue. */
const SHUTDOWN_GRACE_MS = 25_000;

export interface RunningWorker {
  /** The /metrics server's port (useful when CONDASYNC_WORKER_METRICS_PORT is 0). */
  metricsPort: number;
  close(): Promise<void>;
}

/**
 * Starts one worker process's three BullMQ workers (plan, package, finalize) and its /metrics
 * server. Any number of these processes can run against one Redis and one store.
 */
export async function startWorker(env: NodeJS.ProcessEnv = process.env): Promise<RunningWorker> {
  const config = loadWorkerConfig(env);
  const logger = pino({ level: config.logLevel, base: { component: 'worker', pid: process.pid } });
  const redis = createRedisConnection(config.redisUrl, { name: 'condasync-worker' });
  const policy = await checkRedisPolicy(redis);
  if (!policy.ok)
    logger.warn(
      { problems: policy.problems },
      'Redis is not configured as condasync needs (noeviction, AOF)',
    );
  if (policy.unverified !== undefined) logger.warn(policy.unverified);

  const queueOptions = { connection: redis, prefix: config.queuePrefix };
  const queues = {
    plan: new Queue<PlanJobData>(QueueName.plan, queueOptions),
    package: new Queue<PackageJobData>(QueueName.package, queueOptions),
    finalize: new Queue<FinalizeJobData>(QueueName.finalize, queueOptions),
  };
  const metrics = new WorkerMetrics(async () =>
    Promise.all(
      Object.values(queues).map(async (queue) => ({
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
    ),
  );
  const store = openStore(config.storageUrl, {
    s3: {
      ...(config.s3Endpoint ? { endpoint: config.s3Endpoint, forcePathStyle: true } : {}),
      ...(config.s3Region ? { region: config.s3Region } : {}),
    },
    onOperation: (operation, seconds, outcome) =>
      metrics.storageOperations.observe({ operation, outcome }, seconds),
  });
  const registry = new SyncRegistry(redis, { prefix: config.queuePrefix });
  const services: WorkerServices = {
    config,
    store,
    registry,
    packageQueue: queues.package,
    finalizeQueue: queues.finalize,
    http: new UpstreamHttp({
      connectionsPerHost: Math.min(config.concurrency, 32),
      onRequest: (outcome) => metrics.upstreamRequests.inc({ outcome }),
      publicAddressesOnly: !config.upstreamAllowListed,
    }),
    logger,
    metrics,
    syncConfigs: new SyncConfigCache(registry),
  };

  const workerOptions = {
    connection: redis,
    prefix: config.queuePrefix,
    lockDuration: config.jobLockMs,
    stalledInterval: config.jobLockMs,
  };
  const timed =
    <T, R>(queue: string, processor: (job: T, token?: string, signal?: AbortSignal) => Promise<R>) =>
    async (job: T, token?: string, signal?: AbortSignal): Promise<R> => {
      const end = metrics.jobDuration.startTimer({ queue });
      try {
        const result = await processor(job, token, signal);
        end({ outcome: 'completed' });
        return result;
      } catch (error) {
        end({ outcome: 'failed' });
        throw error;
      }
    };
  // Only the queues this process serves (e.g. plan on a few large-memory pods, packages on many).
  const serves = new Set(config.queues);
  const workers: Worker[] = [];
  if (serves.has('plan')) {
    workers.push(
      new Worker<PlanJobData>(QueueName.plan, timed('plan', planProcessor(services)), {
        ...workerOptions,
        concurrency: 1,
      }),
    );
  }
  if (serves.has('package')) {
    workers.push(
      new Worker<PackageJobData>(QueueName.package, timed('package', packageProcessor(services)), {
        ...workerOptions,
        concurrency: config.concurrency,
      }),
    );
  }
  if (serves.has('finalize')) {
    workers.push(
      new Worker<FinalizeJobData>(QueueName.finalize, timed('finalize', finalizeProcessor(services)), {
        ...workerOptions,
        concurrency: 1,
      }),
    );
  }
  for (const worker of workers) {
    worker.on('failed', (job, error) =>
      logger.warn(
        { queue: worker.name, job: job?.id, attempt: job?.attemptsMade, err: error.message },
        'job attempt failed',
      ),
    );
    worker.on('error', (error) => logger.error({ queue: worker.name, err: error.message }, 'worker error'));
  }

  const server = await startMetricsServer(metrics, config.metricsHost, config.metricsPort);
  const metricsPort = (server.address() as AddressInfo).port;
  logger.info(
    { queues: config.queues, concurrency: config.concurrency, metricsPort, store: store.description },
    'worker started',
  );

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      logger.info({}, 'worker stopping: no new jobs; active ones finish or go back to the queue');
      const timeout = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), SHUTDOWN_GRACE_MS).unref(),
      );
      const graceful = Promise.all(workers.map((w) => w.close())).then(() => 'closed' as const);
      if ((await Promise.race([graceful, timeout])) === 'timeout') {
        // Force: active jobs stay locked until BullMQ's stalled check hands them to another worker.
        await Promise.all(workers.map((w) => w.close(true)));
      }
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await services.http.close();
      await store.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await redis.quit();
      logger.info({}, 'worker stopped');
    })();
    return closing;
  };
  return { metricsPort, close };
}

function startMetricsServer(metrics: WorkerMetrics, host: string, port: number): Promise<Server> {
  const server = createServer(async (request, response) => {
    if (request.url === '/metrics') {
      response.setHeader('content-type', metrics.registry.contentType);
      response.end(await metrics.registry.metrics());
    } else if (request.url === '/livez') {
      response.end('ok\n');
    } else {
      response.statusCode = 404;
      response.end('not found\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** Entry point of `condasync worker`: runs until SIGTERM/SIGINT, then stops gracefully. */
export async function runWorkerProcess(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const worker = await startWorker(env);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await worker.close();
}
