import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * prom-client's defaults include gauges named `…_total`, a suffix Prometheus reserves for
 * counters (`promtool check metrics` rejects them); nothing here needs them.
 */
const MISNAMED_DEFAULTS = [
  'condasync_nodejs_active_handles_total',
  'condasync_nodejs_active_requests_total',
  'condasync_nodejs_active_resources_total',
];

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
  readonly downloadDuration = new Histogram({
    name: 'condasync_download_duration_seconds',
    help: 'Time to copy one package from upstream into the store, verified (successful copies only).',
    labelNames: ['channel'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
    registers: [this.registry],
  });
  readonly packageFailures = new Counter({
    name: 'condasync_package_failures_total',
    help: 'Packages given up on, by destination channel and reason (the mirror error code, lower case).',
    labelNames: ['channel', 'reason'] as const,
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
  readonly jobsActive = new Gauge({
    name: 'condasync_worker_jobs_active',
    help: 'Jobs this process is running now, by queue.',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });
  readonly jobSlots = new Gauge({
    name: 'condasync_worker_job_slots',
    help: 'Jobs this process runs at most at once, by queue (its concurrency).',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });
  readonly storageOperations = new Histogram({
    name: 'condasync_storage_operation_duration_seconds',
    help: 'Latency of storage operations by operation and outcome.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  /** In-process only; the API's condasync_last_successful_sync_timestamp_seconds survives restarts. */
  readonly lastSuccess = new Gauge({
    name: 'condasync_subdir_published_timestamp_seconds',
    help: 'Unix time this process last published each channel/subdir (lost when it restarts).',
    labelNames: ['channel', 'subdir'] as const,
    registers: [this.registry],
  });
  readonly queueJobs: Gauge<'queue' | 'state'>;

  constructor(queueCounts: () => Promise<Array<{ queue: string; counts: Record<string, number> }>>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'condasync_' });
    for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(name);
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

  /** Records that this process consumes `queue`, `concurrency` jobs at a time (saturation's denominator). */
  serving(queue: string, concurrency: number): void {
    this.jobSlots.set({ queue }, concurrency);
    this.jobsActive.set({ queue }, 0);
  }

  /** A package given up on: counted as failed and by its reason. */
  packageFailed(labels: { channel: string; subdir: string }, code: string): void {
    this.packages.inc({ ...labels, outcome: 'failed' });
    this.packageFailures.inc({ channel: labels.channel, reason: code.toLowerCase() });
  }

  /** Wraps a processor: times each attempt and counts it in flight while it runs. */
  instrument<T, R>(
    queue: string,
    processor: (job: T, token?: string, signal?: AbortSignal) => Promise<R>,
  ): (job: T, token?: string, signal?: AbortSignal) => Promise<R> {
    return async (job, token, signal) => {
      const end = this.jobDuration.startTimer({ queue });
      this.jobsActive.inc({ queue });
      try {
        const result = await processor(job, token, signal);
        end({ outcome: 'completed' });
        return result;
      } catch (error) {
        end({ outcome: 'failed' });
        throw error;
      } finally {
        this.jobsActive.dec({ queue });
      }
    };
  }
}
