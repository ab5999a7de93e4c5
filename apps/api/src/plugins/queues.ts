import {
  type CleanJobData,
  CleanupRegistry,
  ConfigSeal,
  DEFAULT_QUEUE_PREFIX,
  IMPORT_QUEUE,
  type ImportJobData,
  isRedisConnectionError,
  type PlanJobData,
  QueueName,
  SyncRegistry,
  settlesWithin,
  VERIFY_QUEUE,
  type VerifyJobData,
} from '@condasync/queue';
import { Queue } from 'bullmq';
import fp from 'fastify-plugin';

/**
 * The API produces plan jobs only. The package and finalize queues are opened to report their
 * depth in /metrics and the dashboard, and to drop a cancelled sync's waiting jobs.
 */
export interface ApiQueues {
  plan: Queue<PlanJobData>;
  package: Queue;
  finalize: Queue;
  /** Cleanup jobs (POST /v1/cleanups). */
  clean: Queue<CleanJobData>;
  /** POST /v1/verifications adds its jobs here. */
  verify: Queue<VerifyJobData>;
  /** POST /v1/imports adds its jobs here. */
  import: Queue<ImportJobData>;
}

declare module 'fastify' {
  interface FastifyInstance {
    queues: ApiQueues;
    syncRegistry: SyncRegistry;
    cleanupRegistry: CleanupRegistry;
  }
}

export interface QueuesPluginOptions {
  /**
   * Namespace for the BullMQ keys and the sync registry, so that tests (or two deployments
   * sharing one Redis) do not see each other's jobs. Default: DEFAULT_QUEUE_PREFIX, as the workers.
   */
  queuePrefix?: string | undefined;
  /** CONDASYNC_SECRET_KEY: stored sync configs are sealed with it (null: stored as JSON). */
  secretKey?: string | null;
}

/** How long closing the queues may take at shutdown. */
const QUEUE_CLOSE_MS = 2000;

export default fp<QueuesPluginOptions>(
  async (app, options) => {
    // The workers use the same default, so API and workers meet without configuration.
    const prefix = options.queuePrefix ?? DEFAULT_QUEUE_PREFIX;
    const queueOptions = { connection: app.redis, prefix };
    const queues: ApiQueues = {
      plan: new Queue<PlanJobData>(QueueName.plan, queueOptions),
      package: new Queue(QueueName.package, queueOptions),
      finalize: new Queue(QueueName.finalize, queueOptions),
      clean: new Queue<CleanJobData>(QueueName.clean, queueOptions),
      verify: new Queue<VerifyJobData>(VERIFY_QUEUE, queueOptions),
      import: new Queue<ImportJobData>(IMPORT_QUEUE, queueOptions),
    };
    for (const queue of Object.values(queues)) {
      queue.on('error', (error: Error) => {
        // An unreachable Redis is one line per retry interval, not one stack per queue and attempt.
        if (isRedisConnectionError(error)) app.redisOutage.error(error);
        else app.log.warn({ queue: queue.name, err: error.message }, 'queue error');
      });
    }
    app.decorate('queues', queues);
    const seal = options.secretKey ? new ConfigSeal(options.secretKey) : null;
    app.decorate('syncRegistry', new SyncRegistry(app.redis, { prefix, seal }));
    app.decorate('cleanupRegistry', new CleanupRegistry(app.redis, { prefix, seal }));
    app.metrics.observeQueues([
      queues.plan,
      queues.package,
      queues.finalize,
      queues.clean,
      queues.verify,
      queues.import,
    ]);
    app.metrics.observeSyncs(app.syncRegistry);
    // Queues share the app's Redis connection; closing them releases only their own resources.
    // Bounded: with Redis gone, a close waits for ever.
    app.addHook('onClose', async () => {
      await settlesWithin(Promise.all(Object.values(queues).map((queue) => queue.close())), QUEUE_CLOSE_MS);
    });
  },
  { name: 'condasync-queues', fastify: '5.x', dependencies: ['condasync-redis', 'condasync-metrics'] },
);
