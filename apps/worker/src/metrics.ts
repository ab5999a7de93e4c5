import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The worker's Prometheus metrics (docs/design.md §7: base units, `_total` counters, bounded labels). */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly packages = new Counter({
    name: 'condasync_packages_total',
    help: 'Package jobs ended, by destination channel, subdir and outcome (downloaded, present, failed).',
    labelNames: ['channel', 'subdir', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly downloadedBytes = new Counter({
    name: 'condasync_downloaded_bytes_total',
    help: 'Package bytes copied from upstream into the store.',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  });
  readonly upstreamRequests = new Counter({
    name: 'condasync_upstream_requests_total',
    help: 'HTTP requests to upstream channels by outcome (2xx, 3xx, 4xx, 5xx, timeout, error).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly integrityFailures = new Counter({
    name: 'condasync_integrity_failures_total',
    help: 'Downloads whose size or sha256/md5 did not match repodata (never published).',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: 'condasync_job_duration_seconds',
    help: 'Time spent in one job attempt, by queue and outcome.',
    labelNames: ['queue', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
    registers: [this.registry],
  });
  readonly storageOperations = new Histogram({
    name: 'condasync_storage_operation_duration_seconds',
    help: 'Latency of storage operations by operation and outcome.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: 'condasync_last_successful_sync_timestamp_seconds',
    help: 'Unix time of the last publication of each channel/subdir.',
    labelNames: ['channel', 'subdir'] as const,
    registers: [this.registry],
  });
  readonly queueJobs: Gauge<'queue' | 'state'>;

  constructor(queueCounts: () => Promise<Array<{ queue: string; counts: Record<string, number> }>>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'condasync_' });
    this.queueJobs = new Gauge({
      name: 'condasync_queue_jobs',
      help: 'Jobs in each queue by state, read at scrape time.',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        for (const { queue, counts } of await queueCounts()) {
          for (const [state, value] of Object.entries(counts)) this.set({ queue, state }, value);
        }
      },
    });
  }
}
