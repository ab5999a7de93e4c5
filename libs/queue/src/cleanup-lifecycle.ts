import type { JobsOptions, Queue } from 'bullmq';
import type { CleanupRegistry } from './cleanup-registry.ts';
import { CLEANUP_ID_PREFIX } from './cleanup-view.ts';
import { QueueError, QueueErrorCode } from './errors.ts';
import { newSyncId } from './queues.ts';
import { CHANNEL_LOCK_TTL_MS } from './sync-lifecycle.ts';
import type { SyncRegistry } from './sync-registry.ts';

/** Run one cleanup: the clean step on the channel of its config, under the channel lock. */
export interface CleanJobData {
  cleanupId: string;
}

export function cleanJobId(cleanupId: string): string {
  return `clean.${cleanupId}`;
}

export function newCleanupId(now?: number): string {
  return `${CLEANUP_ID_PREFIX}${newSyncId(now)}`;
}

/** An upstream or Redis hiccup is retried a few times before the cleanup fails. */
export const CLEAN_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 10_000 },
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

/**
 * The life of a cleanup on the queues, as SyncLifecycle is a sync's: the API submits through it,
 * the clean processor takes and frees the channel through it. A cleanup holds the same per-channel
 * lock as a sync (docs/design.md §5, invariant 6), so the two never run on one channel at once.
 */
export class CleanupLifecycle {
  readonly cleanups: CleanupRegistry;
  readonly #syncs: SyncRegistry;
  readonly #queue: Queue<CleanJobData> | undefined;

  constructor(cleanups: CleanupRegistry, syncs: SyncRegistry, queue?: Queue<CleanJobData>) {
    this.cleanups = cleanups;
    this.#syncs = syncs;
    this.#queue = queue;
  }

  /** Records a cleanup as `queued` and adds its job; a cleanup whose job cannot be added is failed at once. */
  async submit(input: { destChannel: string; config: unknown; dryRun: boolean }): Promise<string> {
    if (this.#queue === undefined) throw new Error('this CleanupLifecycle was built without the clean queue');
    const id = newCleanupId();
    try {
      await this.cleanups.create({ id, ...input });
    } catch (error) {
      throw new QueueError(QueueErrorCode.SyncNotRecorded, 'cannot record the cleanup', { cause: error });
    }
    try {
      await this.#queue.add('clean', { cleanupId: id }, { ...CLEAN_JOB_OPTIONS, jobId: cleanJobId(id) });
    } catch (error) {
      await this.cleanups.fail(id, 'the clean job could not be queued').catch(() => {});
      throw new QueueError(QueueErrorCode.PlanNotQueued, 'cannot queue the cleanup', { cause: error });
    }
    return id;
  }

  /** Takes (or renews) the channel for this cleanup; false while a sync or another cleanup holds it. */
  acquireChannel(destChannel: string, cleanupId: string): Promise<boolean> {
    return this.#syncs.acquireChannelLock(destChannel, cleanupId, CHANNEL_LOCK_TTL_MS);
  }

  releaseChannel(destChannel: string, cleanupId: string): Promise<void> {
    return this.#syncs.releaseChannelLock(destChannel, cleanupId);
  }
}
