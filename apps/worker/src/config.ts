import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_QUEUE_PREFIX } from '@condasync/queue';

/** Everything a worker process reads from the environment, read here only, validated at once. */
export interface WorkerConfig {
  readonly redisUrl: string;
  readonly storageUrl: string;
  readonly s3Endpoint: string | null;
  readonly s3Region: string | null;
  /** Package jobs processed at once by this process. */
  readonly concurrency: number;
  /** Port of the small /metrics server; 0 picks a free one. */
  readonly metricsPort: number;
  readonly metricsHost: string;
  /** Local folder for upstream repodata caches and scratch files. */
  readonly workDir: string;
  /** Key prefix of the queues and run state in Redis (lets several installations share one Redis). */
  readonly queuePrefix: string;
  /** How long a job's lock lasts; a killed worker's jobs go to another worker after about this. */
  readonly jobLockMs: number;
  readonly logLevel: string;
  /**
   * CONDASYNC_UPSTREAM_ALLOW is set: the API admits only listed upstreams, so the worker connects
   * wherever they resolve. Unset, it connects only to public addresses (checked at connect time).
   */
  readonly upstreamAllowListed: boolean;
  /** Queues this process takes jobs from (CONDASYNC_WORKER_QUEUES; default all three). */
  readonly queues: readonly WorkerQueue[];
}

export const WORKER_QUEUES = ['plan', 'package', 'finalize'] as const;
export type WorkerQueue = (typeof WORKER_QUEUES)[number];

export class WorkerConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super(`invalid worker environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'WorkerConfigError';
    this.problems = problems;
  }
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name];
    if (!value) problems.push(`${name} is required`);
    return value ?? '';
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  };
  const queues = (env['CONDASYNC_WORKER_QUEUES'] || WORKER_QUEUES.join(','))
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const queue of queues) {
    if (!(WORKER_QUEUES as readonly string[]).includes(queue)) {
      problems.push(
        `CONDASYNC_WORKER_QUEUES lists unknown queue "${queue}" (known: ${WORKER_QUEUES.join(', ')})`,
      );
    }
  }
  if (queues.length === 0)
    problems.push(`CONDASYNC_WORKER_QUEUES lists no queue (known: ${WORKER_QUEUES.join(', ')})`);
  const config: WorkerConfig = {
    redisUrl: required('CONDASYNC_REDIS_URL'),
    storageUrl: required('CONDASYNC_STORAGE_URL'),
    s3Endpoint: env['CONDASYNC_S3_ENDPOINT'] || null,
    s3Region: env['CONDASYNC_S3_REGION'] || null,
    concurrency: integer('CONDASYNC_WORKER_CONCURRENCY', 16, 1, 512),
    metricsPort: integer('CONDASYNC_WORKER_METRICS_PORT', 9464, 0, 65535),
    metricsHost: env['CONDASYNC_WORKER_METRICS_HOST'] || '0.0.0.0',
    workDir:
      env['CONDASYNC_WORK_DIR'] || join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'condasync'),
    queuePrefix: env['CONDASYNC_QUEUE_PREFIX'] || DEFAULT_QUEUE_PREFIX,
    jobLockMs: integer('CONDASYNC_JOB_LOCK_SECONDS', 30, 1, 3600) * 1000,
    logLevel: env['CONDASYNC_LOG_LEVEL'] || 'info',
    upstreamAllowListed: (env['CONDASYNC_UPSTREAM_ALLOW'] ?? '')
      .split(',')
      .some((entry) => entry.trim() !== ''),
    queues: [...new Set(queues)] as WorkerQueue[],
  };
  if (problems.length > 0) throw new WorkerConfigError(problems);
  return Object.freeze(config);
}
