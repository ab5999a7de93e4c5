import type { Queue } from 'bullmq';
import { finalizeJobIdPrefix, packageJobIdPrefix, planJobId } from './queues.ts';

/** States a job can be removed from safely: nobody holds it. Active jobs see the cancel themselves. */
const NOT_STARTED = ['waiting', 'prioritized', 'delayed'] as const;
/** Ids are read a page at a time, so half a million waiting jobs never load at once. */
const PAGE_SIZE = 1000;

/**
 * Removes the not-yet-started jobs whose id starts with `prefix`, paging through job ids only
 * (no job data is loaded). Workers keep taking jobs meanwhile, so a job can slip through; the
 * worker skips the jobs of a cancelled sync, which is what makes cancellation complete.
 */
export async function removeWaitingJobs(queue: Queue, prefix: string): Promise<number> {
  let removed = 0;
  for (const state of NOT_STARTED) {
    let start = 0;
    for (;;) {
      const ids = await queue.getRanges([state], start, start + PAGE_SIZE - 1);
      if (ids.length === 0) break;
      const mine = ids.filter((id) => id.startsWith(prefix));
      const results = await Promise.all(mine.map((id) => queue.remove(id)));
      const removedHere = results.filter((result) => result === 1).length;
      removed += removedHere;
      // The jobs removed from this page shifted the following ones forward.
      start += ids.length - removedHere;
      if (ids.length < PAGE_SIZE) break;
    }
  }
  return removed;
}

/** Drops every job of a cancelled sync that has not started. Returns how many were removed. */
export async function removeSyncJobs(
  queues: { plan: Queue; package: Queue; finalize: Queue },
  syncId: string,
): Promise<number> {
  let removed = 0;
  const plan = await queues.plan.getJob(planJobId(syncId));
  if (plan !== undefined && (NOT_STARTED as readonly string[]).includes(await plan.getState())) {
    removed += await queues.plan.remove(plan.id ?? planJobId(syncId));
  }
  removed += await removeWaitingJobs(queues.package, packageJobIdPrefix(syncId));
  removed += await removeWaitingJobs(queues.finalize, finalizeJobIdPrefix(syncId));
  return removed;
}
