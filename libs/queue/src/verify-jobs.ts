import type { JobsOptions } from 'bullmq';
import { type ConfigSeal, openStoredConfig } from './config-seal.ts';

/*
 * Verification jobs (POST /v1/verifications): re-hash a destination channel's stored packages
 * against its published repodata and optionally fetch the bad ones again. One job is the whole
 * verification; BullMQ's job state and return value are its status and report, so there is no
 * registry beside it. The job id is the verification id.
 */

export const VERIFY_QUEUE = 'condasync-verify';

export interface VerifyJobData {
  destChannel: string;
  /** The resolved sync config as JSON, sealed when CONDASYNC_SECRET_KEY is set (it may hold tokens). */
  config: string;
  /** Fetch the missing and mismatched files again from the config's channels. */
  repair: boolean;
}

/** Reports are kept a week; a storage hiccup is retried twice (the check is read-only, repairs idempotent). */
export const VERIFY_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 10_000 },
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** The config as a job carries it: JSON, sealed when there is a seal. */
export function sealJobConfig(config: unknown, seal: ConfigSeal | null): string {
  const text = JSON.stringify(config);
  return seal === null ? text : seal.seal(text);
}

/** The config a job carries, opened; throws ConfigSealError when it is sealed and there is no seal. */
export function openJobConfig(text: string, seal: ConfigSeal | null): unknown {
  return openStoredConfig(text, seal);
}
