import { homedir } from 'node:os';
import { join } from 'node:path';
import { EnvReader, type EnvSource, type LogLevelName } from '@condasync/env';
import { DEFAULT_QUEUE_PREFIX, redisUrlProblem } from '@condasync/queue';
import type { StoreSettings } from '@condasync/storage';

/** Everything a worker process reads from the environment, read here only, validated at once. */
export interface WorkerConfig {
  readonly redisUrl: string;
  /** CONDASYNC_STORAGE_URL with the S3 endpoint and region. */
  readonly store: StoreSettings;
  /** Package jobs processed at once by this process. */
  readonly concurrency: number;
  /** Port of the small /metrics, /livez and /readyz server; 0 picks a free one. */
  readonly metricsPort: number;
  readonly metricsHost: string;
  /** Local folder for upstream repodata caches and scratch files. */
  readonly workDir: string;
  /** Key prefix of the queues and run state in Redis (lets several installations share one Redis). */
  readonly queuePrefix: string;
  /** How long a job's lock lasts; a killed worker's jobs go to another worker after about this. */
  readonly jobLockMs: number;
  /** How long SIGTERM waits for active jobs before leaving them to the stalled-job check. */
  readonly shutdownGraceMs: number;
  readonly logLevel: LogLevelName;
  /**
   * CONDASYNC_UPSTREAM_ALLOW is set: the API admits only listed upstreams, so the worker connects
   * wherever they resolve. Unset, it connects only to public addresses (checked at connect time).
   */
  readonly upstreamAllowListed: boolean;
  /** Queues this process takes jobs from (CONDASYNC_WORKER_QUEUES; default all of them). */
  readonly queues: readonly WorkerQueue[];
  /** CONDASYNC_SECRET_KEY: opens the sync configs the API sealed (null: it stores them in clear). */
  readonly secretKey: string | null;
}

export const WORKER_QUEUES = ['plan', 'package', 'finalize', 'clean'] as const;
export type WorkerQueue = (typeof WORKER_QUEUES)[number];

/** Reads the worker's environment; throws one EnvError naming every bad variable. */
export function loadWorkerConfig(env: EnvSource = process.env): WorkerConfig {
  const read = new EnvReader(env);
  const queues = read.list('CONDASYNC_WORKER_QUEUES');
  for (const queue of queues) {
    if (!(WORKER_QUEUES as readonly string[]).includes(queue)) {
      read.report(
        'CONDASYNC_WORKER_QUEUES',
        `lists unknown queue "${queue}" (known: ${WORKER_QUEUES.join(', ')})`,
      );
    }
  }
  if (queues.length === 0 && read.text('CONDASYNC_WORKER_QUEUES') !== undefined) {
    read.report('CONDASYNC_WORKER_QUEUES', `lists no queue (known: ${WORKER_QUEUES.join(', ')})`);
  }
  const config: WorkerConfig = {
    redisUrl: read.redisUrl({ required: true, problem: redisUrlProblem }) ?? '',
    store: read.store({ required: true }) ?? { url: '', s3Endpoint: null, s3Region: null },
    concurrency: read.integer('CONDASYNC_WORKER_CONCURRENCY', 16, 1, 512),
    metricsPort: read.port('CONDASYNC_WORKER_METRICS_PORT', 9464),
    metricsHost: read.text('CONDASYNC_WORKER_METRICS_HOST') ?? '0.0.0.0',
    workDir:
      read.text('CONDASYNC_WORK_DIR') ??
      join(read.text('XDG_CACHE_HOME') ?? join(homedir(), '.cache'), 'condasync'),
    queuePrefix: read.queuePrefix() ?? DEFAULT_QUEUE_PREFIX,
    jobLockMs: read.integer('CONDASYNC_JOB_LOCK_SECONDS', 30, 1, 3600) * 1000,
    shutdownGraceMs: read.integer('CONDASYNC_WORKER_SHUTDOWN_SECONDS', 25, 0, 3600) * 1000,
    logLevel: read.logLevel(),
    upstreamAllowListed: read.list('CONDASYNC_UPSTREAM_ALLOW').length > 0,
    queues: queues.length === 0 ? WORKER_QUEUES : ([...new Set(queues)] as WorkerQueue[]),
    secretKey: read.secretKey(),
  };
  read.finish();
  return Object.freeze(config);
}
