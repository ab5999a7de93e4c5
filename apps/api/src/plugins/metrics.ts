import type { OperationHook } from '@condasync/storage';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What a served file is, for `condasync_served_bytes_total{kind}`. */
export type ServedKind = 'package' | 'repodata' | 'shard' | 'other';

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

export interface ApiMetrics {
  /** The app's own registry (never prom-client's global one, so apps in one process stay apart). */
  readonly registry: Registry;
  readonly servedBytes: Counter<'kind'>;
  readonly syncsSubmitted: Counter;
  /** Pass to the object store: times every storage operation. */
  readonly storageHook: OperationHook;
  /** Reports these queues' job counts at every scrape. */
  observeQueues(queues: readonly Queue[]): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ApiMetrics;
  }
}

function createMetrics(app: FastifyInstance): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'condasync_' });
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
  new Gauge({
    name: 'condasync_queue_jobs',
    help: 'Jobs per queue and state, read from Redis at scrape time.',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      await Promise.all(
        observedQueues.map(async (queue) => {
          try {
            const counts = await queue.getJobCounts(...QUEUE_STATES);
            for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
          } catch (error) {
            // A scrape must still answer with the other metrics while Redis is away.
            app.log.warn({ err: error, queue: queue.name }, 'cannot read queue job counts for /metrics');
          }
        }),
      );
    },
  });

  return {
    registry,
    servedBytes,
    syncsSubmitted,
    storageHook: (operation, seconds, outcome) => storageDuration.labels(operation, outcome).observe(seconds),
    observeQueues(queues) {
      observedQueues = queues;
    },
  };
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
  },
  { name: 'condasync-metrics', fastify: '5.x' },
);
