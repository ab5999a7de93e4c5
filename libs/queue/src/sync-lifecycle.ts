import { type Job, type JobsOptions, type Queue, UnrecoverableError } from 'bullmq';
import { QueueError, QueueErrorCode } from './errors.ts';
import {
  type FinalizeJobData,
  finalizeJobId,
  newSyncId,
  type PackageJobData,
  type PlanJobData,
  packageJobId,
  planJobId,
} from './queues.ts';
import { removeSyncJobs } from './remove-jobs.ts';
import type { PackageEnd, SyncRegistry } from './sync-registry.ts';

/*
 * The life of a sync on the queues, written once for every producer and consumer: the API and the
 * test harness submit and cancel through it; the workers' processors enqueue, take the channel lock
 * and end syncs through it. Job options for every queue live here and nowhere else.
 */

/** A failed plan (upstream down, Redis hiccup) is retried a few times before the sync fails. */
export const PLAN_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 10_000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

/** Package jobs: `attempts` is the sync config's `retries` + 1; BullMQ spaces them out. */
export function packageJobOptions(attempts: number): JobsOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

export const FINALIZE_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2000, jitter: 0.5 },
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** How long a channel lock lives without being refreshed; a crashed holder frees it after this. */
export const CHANNEL_LOCK_TTL_MS = 15 * 60_000;
/** How long a sync waits before trying again for a channel another sync holds. */
export const CHANNEL_LOCK_RETRY_MS = 5_000;
/** Refresh a held channel lock at most this often per process (a sync may run for hours). */
const LOCK_REFRESH_MS = 30_000;

/** BullMQ's recommended ceiling for one addBulk call. */
const ADD_BULK_CHUNK = 1000;
/** addBulk calls awaited together when enqueueing a plan. */
const ADD_BULK_IN_FLIGHT = 4;

/** The queues a party uses: the API submits and cancels, the workers enqueue packages and finalizes. */
export interface SyncQueues {
  plan?: Queue<PlanJobData>;
  package?: Queue<PackageJobData>;
  finalize?: Queue<FinalizeJobData>;
}

/** How long an Idempotency-Key keeps answering with its sync: a day of client retries. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

export interface SubmitInput {
  destChannel: string;
  /** The resolved sync config; it may hold tokens and is never returned by the API. */
  config: unknown;
  /** Forget cached upstream state in the plan (`POST /v1/syncs?reset=true`). */
  reset?: boolean;
}

/** A job's work ended for good: an UnrecoverableError, or a failure on its last attempt. */
export function isLastAttempt(job: Pick<Job, 'attemptsMade' | 'opts'>, error: unknown): boolean {
  return error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

export class SyncLifecycle {
  readonly registry: SyncRegistry;
  readonly #queues: SyncQueues;
  readonly #lockRefreshed = new Map<string, number>();

  constructor(registry: SyncRegistry, queues: SyncQueues) {
    this.registry = registry;
    this.#queues = queues;
  }

  #queue<K extends keyof SyncQueues>(name: K): NonNullable<SyncQueues[K]> {
    const queue = this.#queues[name];
    if (queue === undefined) throw new Error(`this SyncLifecycle was built without the ${name} queue`);
    return queue as NonNullable<SyncQueues[K]>;
  }

  /**
   * Records a new sync as `queued` and adds its plan job; returns its id. A sync whose plan job
   * cannot be added is marked failed at once, so it never waits for a job that does not exist.
   */
  async submit(input: SubmitInput, options: { planAttempts?: number } = {}): Promise<string> {
    return this.#submit(newSyncId(), input, options);
  }

  /**
   * `submit` for a client that retries: the first submission with this key (an Idempotency-Key
   * header) runs, and any later one within IDEMPOTENCY_TTL_MS gets the same sync back instead of a
   * second run. The same key with another config (another `fingerprint`) is refused.
   */
  async submitOnce(
    input: SubmitInput,
    idempotency: { key: string; fingerprint: string },
    options: { planAttempts?: number } = {},
  ): Promise<{ id: string; replayed: boolean }> {
    const id = newSyncId();
    let earlier: { id: string; fingerprint: string } | null;
    try {
      earlier = await this.registry.claimIdempotencyKey(
        idempotency.key,
        { id, fingerprint: idempotency.fingerprint },
        IDEMPOTENCY_TTL_MS,
      );
    } catch (error) {
      throw new QueueError(QueueErrorCode.SyncNotRecorded, 'cannot record the sync', { cause: error });
    }
    if (earlier !== null) {
      if (earlier.fingerprint !== idempotency.fingerprint) {
        throw new QueueError(
          QueueErrorCode.IdempotencyConflict,
          `this Idempotency-Key was used for sync ${earlier.id} with another config; use a new key for a new sync`,
        );
      }
      return { id: earlier.id, replayed: true };
    }
    try {
      return { id: await this.#submit(id, input, options), replayed: false };
    } catch (error) {
      if (error instanceof QueueError && error.code === QueueErrorCode.SyncNotRecorded) {
        await this.registry.releaseIdempotencyKey(idempotency.key, id).catch(() => {});
      }
      throw error;
    }
  }

  async #submit(id: string, input: SubmitInput, options: { planAttempts?: number }): Promise<string> {
    try {
      await this.registry.create({ id, destChannel: input.destChannel, config: input.config });
    } catch (error) {
      throw new QueueError(QueueErrorCode.SyncNotRecorded, 'cannot record the sync', { cause: error });
    }
    try {
      const data: PlanJobData = input.reset ? { syncId: id, reset: true } : { syncId: id };
      await this.#queue('plan').add('plan', data, {
        ...PLAN_JOB_OPTIONS,
        ...(options.planAttempts === undefined ? {} : { attempts: options.planAttempts }),
        jobId: planJobId(id),
      });
    } catch (error) {
      await this.registry.setStatus(id, 'failed', 'the plan job could not be queued').catch(() => {});
      throw new QueueError(QueueErrorCode.PlanNotQueued, 'cannot queue the sync', { cause: error });
    }
    return id;
  }

  /**
   * Cancels a sync that has not ended, frees its channel and drops its jobs that have not started
   * (jobs already running see the status and stop). `cancelled` is false when it does not exist or
   * already ended.
   */
  async cancel(syncId: string): Promise<{ cancelled: boolean; removedJobs: number }> {
    if (!(await this.registry.cancel(syncId))) return { cancelled: false, removedJobs: 0 };
    const removedJobs = await removeSyncJobs(
      { plan: this.#queue('plan'), package: this.#queue('package'), finalize: this.#queue('finalize') },
      syncId,
    );
    return { cancelled: true, removedJobs };
  }

  /** Ends a sync `failed` with the reason, and frees its channel. False when it had already ended. */
  fail(syncId: string, reason: string): Promise<boolean> {
    return this.registry.fail(syncId, reason);
  }

  /**
   * One package job per planned file, added in chunks with a few addBulk calls in flight: while
   * Redis runs one chunk's scripts, the next is being built and sent (one at a time, 500 k jobs took
   * 18 s; four at a time 13 s; see BENCHMARKS.md). Job ids are deterministic, so a retried plan
   * re-adds the same ids, which BullMQ ignores. Returns how many were added.
   */
  async enqueuePackages(
    syncId: string,
    packages: AsyncIterable<Omit<PackageJobData, 'syncId'>>,
    attempts: number,
  ): Promise<number> {
    const queue = this.#queue('package');
    const options = packageJobOptions(attempts);
    let total = 0;
    let batch: Array<{ name: string; data: PackageJobData; opts: JobsOptions }> = [];
    const inFlight: Array<Promise<void>> = [];
    let failure: { error: unknown } | null = null;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      // Caught at once (an unawaited rejection would end the process), rethrown below.
      inFlight.push(
        queue.addBulk(batch).then(
          () => undefined,
          (error: unknown) => {
            failure ??= { error };
          },
        ),
      );
      total += batch.length;
      batch = [];
      if (inFlight.length >= ADD_BULK_IN_FLIGHT) await inFlight.shift();
      if (failure !== null) throw failure.error;
    };
    for await (const planned of packages) {
      const data: PackageJobData = {
        syncId,
        subdir: planned.subdir,
        filename: planned.filename,
        channelIndex: planned.channelIndex,
        size: planned.size,
      };
      // The package step checks the md5 only of a record without a sha256: 500 k jobs carry ~20 MB
      // less into Redis without the other md5s.
      if (planned.sha256 !== undefined) data.sha256 = planned.sha256;
      else if (planned.md5 !== undefined) data.md5 = planned.md5;
      batch.push({
        name: 'package',
        data,
        opts: { ...options, jobId: packageJobId(syncId, planned.subdir, planned.filename) },
      });
      if (batch.length >= ADD_BULK_CHUNK) await flush();
    }
    await flush();
    await Promise.all(inFlight);
    if (failure !== null) throw (failure as { error: unknown }).error;
    return total;
  }

  /** Adds a subdir's finalize job (once: its id is deterministic). */
  async enqueueFinalize(syncId: string, subdir: string): Promise<void> {
    const data: FinalizeJobData = { syncId, subdir };
    await this.#queue('finalize').add('finalize', data, {
      ...FINALIZE_JOB_OPTIONS,
      jobId: finalizeJobId(syncId, subdir),
    });
  }

  /**
   * Records how a package ended (once, however often its job ran); the call that ends a subdir's
   * last package enqueues the subdir's finalize job.
   */
  async finishPackage(data: PackageJobData, end: PackageEnd): Promise<void> {
    const { last } = await this.registry.finishPackage(data.syncId, data.subdir, data.filename, end);
    if (last) await this.enqueueFinalize(data.syncId, data.subdir);
  }

  /** Takes (or renews) the channel for this sync; false while another sync holds it. */
  acquireChannel(destChannel: string, syncId: string): Promise<boolean> {
    // Bounded: entries of syncs finalized by another process are never deleted here.
    if (this.#lockRefreshed.size >= 1024) this.#lockRefreshed.clear();
    this.#lockRefreshed.set(syncId, Date.now());
    return this.registry.acquireChannelLock(destChannel, syncId, CHANNEL_LOCK_TTL_MS);
  }

  /** Keeps a long sync's channel lock alive, renewing it at most every LOCK_REFRESH_MS per process. */
  async refreshChannel(destChannel: string, syncId: string): Promise<void> {
    if (Date.now() - (this.#lockRefreshed.get(syncId) ?? 0) < LOCK_REFRESH_MS) return;
    await this.acquireChannel(destChannel, syncId);
  }

  /** The sync ended: the next sync of its channel may start. */
  async releaseChannel(destChannel: string, syncId: string): Promise<void> {
    this.#lockRefreshed.delete(syncId);
    await this.registry.releaseChannelLock(destChannel, syncId);
  }
}
