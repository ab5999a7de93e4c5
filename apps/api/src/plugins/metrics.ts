import type { SyncRegistry } from '@condasync/queue';
import type { OperationHook } from '@condasync/storage';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { instrumentServedRequests } from './served-requests.ts';
import { instrumentSyncOutcomes } from './sync-outcomes.ts';

/** What a served file is, for `condasync_served_bytes_total{kind}` and `condasync_served_requests_total{kind}`. */
export type ServedKind = 'package' | 'repodata' | 'shard' | 'installer' | 'other';

/** Job states reported by `condasync_queue_jobs{queue,state}`. */
const QUEUE_STATES = [
  'waiting',
  'prioritized',
  'delayed',
  'active',
  'waiting-children',
  'completed',
  'failed',
] as const;

/**
 * prom-client's defaults include gauges named `…_total`, a suffix Prometheus reserves for
 * counters (`promtool check metrics` rejects them); nothing here needs them.
 */
const MISNAMED_DEFAULTS = [
  'condasync_nodejs_active_handles_total',
  'condasync_nodejs_active_requests_total',
  'condasync_nodejs_active_resources_total',
];

export interface ApiMetrics {
  /** The app's own registry (never prom-client's global one, so apps in one process stay apart). */
  readonly registry: Registry;
  readonly servedBytes: Counter<'kind'>;
  readonly syncsSubmitted: Counter;
  /** Pass to the object store: times every storage operation. */
  readonly storageHook: OperationHook;
  /** Reports these queues' job counts and connected workers at every scrape. */
  observeQueues(queues: readonly Queue[]): void;
  /** Derives sync outcomes and channel freshness from this registry at every scrape. */
  observeSyncs(registry: SyncRegistry): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ApiMetrics;
  }
}

function createMetrics(app: FastifyInstance): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'condasync_' });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  const registers = [registry];

  const servedBytes = new Counter({
    name: 'condasync_served_bytes_total',
    help: 'Bytes of channel files sent to clients, by kind of file.',
    labelNames: ['kind'] as const,
    registers,
  });
  const syncsSubmitted = new Counter({
    name: 'condasync_syncs_submitted_total',
    help: 'Syncs accepted by POST /v1/syncs.',
    registers,
  });
  const storageDuration = new Histogram({
    name: 'condasync_storage_operation_duration_seconds',
    help: 'Duration of object-store operations (a get is timed until its body starts).',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });

  let observedQueues: readonly Queue[] = [];
  /** Reads every observed queue at scrape time; a queue that fails is logged and left out. */
  const eachQueue = async (what: string, read: (queue: Queue) => Promise<void>): Promise<void> => {
    await Promise.all(
      observedQueues.map(async (queue) => {
        try {
          await read(queue);
        } catch (error) {
          // A scrape must still answer with the other metrics while Redis is away (or refuses
          // CLIENT LIST, as some managed Redis do: the worker counts are then absent).
          app.log.warn({ err: error, queue: queue.name }, `cannot read ${what} for /metrics`);
        }
      }),
    );
  };
  new Gauge({
    name: 'condasync_queue_jobs',
    help: 'Jobs per queue and state, read from Redis at scrape time.',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      await eachQueue('queue job counts', async (queue) => {
        const counts = await queue.getJobCounts(...QUEUE_STATES);
        for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      });
    },
  });
  new Gauge({
    name: 'condasync_queue_workers',
    help: 'Worker connections consuming each queue, as Redis lists its clients at scrape time.',
    labelNames: ['queue'] as const,
    registers,
    async collect() {
      this.reset();
      await eachQueue('queue workers', async (queue) => {
        this.set({ queue: queue.name }, await queue.getWorkersCount());
      });
    },
  });

  const syncs = instrumentSyncOutcomes(app, registry);
  return {
    registry,
    servedBytes,
    syncsSubmitted,
    storageHook: (operation, seconds, outcome) => storageDuration.labels(operation, outcome).observe(seconds),
    observeQueues(queues) {
      observedQueues = queues;
    },
    observeSyncs: syncs.observe,
  };
}

/** Readiness as /readyz decides it, one gauge per check (1 ready, 0 not), probed once per scrape. */
function instrumentReadiness(app: FastifyInstance, registry: Registry): void {
  let probe: Promise<{ redis: boolean; store: boolean }> | null = null;
  const readiness = (): Promise<{ redis: boolean; store: boolean }> => {
    probe ??= app
      .inject({ url: '/readyz' })
      .then((response) => {
        const checks = (response.json() as { checks?: Record<string, { ok?: boolean }> }).checks ?? {};
        return { redis: checks['redis']?.ok === true, store: checks['store']?.ok === true };
      })
      .catch(() => ({ redis: false, store: false }))
      .finally(() => setImmediate(() => (probe = null)));
    return probe;
  };
  const readinessGauge = (name: string, help: string, check: 'redis' | 'store'): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set((await readiness())[check] ? 1 : 0);
      },
    });
  };
  readinessGauge(
    'condasync_redis_up',
    'Whether Redis answers and runs with noeviction and AOF (the /readyz redis check): 1 or 0.',
    'redis',
  );
  readinessGauge(
    'condasync_storage_up',
    'Whether the object store answers a listing (the /readyz store check): 1 or 0.',
    'store',
  );
}

/** HTTP request metrics for every route; labels are route patterns, never URLs. */
function instrumentRequests(app: FastifyInstance, registry: Registry): void {
  const requests = new Counter({
    name: 'condasync_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status class.',
    labelNames: ['route', 'method', 'status_class'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'condasync_http_request_duration_seconds',
    help: 'Time from request to the end of the response, by route pattern and method.',
    labelNames: ['route', 'method'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const statusClass = `${Math.floor(reply.statusCode / 100)}xx`;
    requests.labels(route, request.method, statusClass).inc();
    duration.labels(route, request.method).observe(reply.elapsedTime / 1000);
  });
}

export default fp(
  async (app) => {
    const metrics = createMetrics(app);
    app.decorate('metrics', metrics);
    instrumentRequests(app, metrics.registry);
    instrumentServedRequests(app, metrics.registry);
    instrumentReadiness(app, metrics.registry);
  },
  { name: 'condasync-metrics', fastify: '5.x' },
);
