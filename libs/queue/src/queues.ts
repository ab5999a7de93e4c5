import { createHash, hash } from 'node:crypto';

/**
 * The queue contract between the API (producer) and the workers (consumers): queue names, job
 * payloads and deterministic job ids. Job ids contain no colon (BullMQ uses ':' in its keys).
 */
/** Redis key prefix of the queues and the run state, unless CONDASYNC_QUEUE_PREFIX says otherwise. */
export const DEFAULT_QUEUE_PREFIX = 'condasync';

export const QueueName = {
  plan: 'condasync-plan',
  package: 'condasync-package',
  finalize: 'condasync-finalize',
  clean: 'condasync-clean',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

/** Plan one sync: fetch and filter upstream repodata, stage the records, enqueue package jobs. */
export interface PlanJobData {
  syncId: string;
  /** `?reset=true`: plan without cached upstream state and re-hash every stored file. */
  reset?: boolean;
}

/**
 * Copy one package. The channel URL (which may hold a token) is not in the payload: the worker
 * reads it from the sync's config by index, so tokens are not copied into every job.
 */
export interface PackageJobData {
  syncId: string;
  subdir: string;
  filename: string;
  channelIndex: number;
  size: number;
  sha256?: string;
  md5?: string;
  /** Attempts so far that ended in a size or checksum mismatch (the integrity budget spans retries). */
  integrityFailures?: number;
}

/** Publish one subdir of a sync once every one of its package jobs has ended. */
export interface FinalizeJobData {
  syncId: string;
  subdir: string;
}

// One-shot hash(): no Hash object per call, which showed in enqueueing 500 k jobs.
const shortHash = (text: string): string => hash('sha256', text).slice(0, 24);

/** Every package job id of a sync starts with this (the API uses it to cancel waiting jobs). */
export function packageJobIdPrefix(syncId: string): string {
  return `pkg.${syncId}.`;
}

/** Every finalize job id of a sync starts with this. */
export function finalizeJobIdPrefix(syncId: string): string {
  return `fin.${syncId}.`;
}

export function planJobId(syncId: string): string {
  return `plan.${syncId}`;
}

/** One id per (sync, subdir, filename): re-planning the same sync after a crash adds no duplicates. */
export function packageJobId(syncId: string, subdir: string, filename: string): string {
  return `${packageJobIdPrefix(syncId)}${shortHash(`${subdir}/${filename}`)}`;
}

/** One id per (sync, subdir): the finalize job is added by whichever package job ends last, once. */
export function finalizeJobId(syncId: string, subdir: string): string {
  return `${finalizeJobIdPrefix(syncId)}${shortHash(subdir)}`;
}

/** Sync ids are generated here: sortable by time, URL- and Redis-key-safe. */
export function newSyncId(now: number = Date.now()): string {
  const random = createHash('sha256')
    .update(`${now}-${Math.random()}-${process.pid}`)
    .digest('hex')
    .slice(0, 10);
  return `${now.toString(36).padStart(9, '0')}-${random}`;
}

export const SYNC_ID_PATTERN = /^[0-9a-z]{9}-[0-9a-f]{10}$/;
