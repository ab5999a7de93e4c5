import type { JobsOptions } from 'bullmq';
import { IMPORT_ID_PREFIX } from './lock-holders.ts';
import { newSyncId } from './queues.ts';

/*
 * Import jobs (POST /v1/imports): publish a bundle that already sits in the object store (written
 * by `condasync export` or a sync's delta, then uploaded) into a destination channel, on a worker,
 * as `condasync import` does from a file. One job is the whole import; BullMQ's job state and
 * return value are its status and report, as for verifications. The job id is the import id.
 */

export const IMPORT_QUEUE = 'condasync-import';

export interface ImportJobData {
  destChannel: string;
  /** The bundle's key in the store (a .tar written by `condasync export`). */
  bundleKey: string;
}

/**
 * A bundle is verified whole before anything is published, and packages are immutable, so a
 * retried import redoes only work that leaves no trace; a refused bundle is not retried.
 */
export const IMPORT_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 10_000 },
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export function newImportId(now?: number): string {
  return `${IMPORT_ID_PREFIX}${newSyncId(now)}`;
}

/**
 * Why a key cannot name a bundle in the store, or null when it can: a relative key inside the
 * bucket's prefix, not under `.condasync/` (internal) and without `.`/`..` segments.
 */
export function bundleKeyProblem(key: string): string | null {
  if (key.length === 0) return 'bundle must be the key of a bundle in the store, got an empty string';
  if (key.length > 1024) return `bundle is a key of ${key.length} characters; S3 keys have at most 1024`;
  if (key.startsWith('/'))
    return `bundle '${key}' must be a key relative to the store's prefix, without a leading '/'`;
  const segments = key.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..'))
    return `bundle '${key}' has an empty, '.' or '..' segment`;
  if (segments[0] === '.condasync')
    return `bundle '${key}' is under .condasync/, which holds condasync's own state`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(key)) return `bundle '${JSON.stringify(key)}' contains control characters`;
  return null;
}

export const IMPORT_ID_PATTERN = /^imp-[0-9a-z]{9}-[0-9a-f]{10}$/;
