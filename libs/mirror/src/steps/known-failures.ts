import {
  isLastingFailure,
  type RememberedFailure,
  readFailureMemory,
  upstreamDigest,
  writeFailureMemory,
} from '../state/failure-memory.ts';
import type { PackageFailure } from '../sync-report.ts';
import type { PackageOutcome, PlannedPackage } from './package-step.ts';
import type { SyncPlan } from './plan.ts';
import { plannedPackages } from './plan-step.ts';
import { channelAt, type SyncRun } from './sync-run.ts';

/** A run's planned packages, split by what the failure memory says about them. */
export interface TriagedPackages {
  toTry: PlannedPackage[];
  /** Failed for good before on the record upstream still lists: reported, not fetched. */
  notRetried: PackageFailure[];
  /** The memory as read, per subdir, to tell whether it needs rewriting. */
  memory: Map<string, Map<string, RememberedFailure>>;
}

/**
 * A remembered failure is tried again after this long even on the same record: a 404 can be an
 * upstream (or its CDN) that has not caught up with its own index yet.
 */
export const RETRY_REMEMBERED_AFTER_MS = 24 * 3_600_000;

const digestOf = (run: SyncRun, planned: PlannedPackage): string =>
  upstreamDigest({ channel: channelAt(run.config, planned.channelIndex).display, ...planned });

/**
 * Leaves out the packages that failed for good on a record upstream has not changed since (a no-op
 * re-run must not pay their retries again), for at most RETRY_REMEMBERED_AFTER_MS. `--reset`
 * forgets the memory; transient failures are never in it.
 */
export async function triagePackages(run: SyncRun, plan: SyncPlan): Promise<TriagedPackages> {
  const triaged: TriagedPackages = { toTry: [], notRetried: [], memory: new Map() };
  const now = (run.now ?? Date.now)();
  for (const subdir of plan.subdirs) {
    const memory = run.reset
      ? new Map<string, RememberedFailure>()
      : await readFailureMemory(run.store, run.channelPrefix, subdir.subdir);
    triaged.memory.set(subdir.subdir, memory);
    for (const planned of plannedPackages(subdir)) {
      const known = memory.get(planned.filename);
      if (
        known !== undefined &&
        known.upstream === digestOf(run, planned) &&
        now - known.since < RETRY_REMEMBERED_AFTER_MS
      ) {
        triaged.notRetried.push({
          subdir: subdir.subdir,
          filename: planned.filename,
          code: known.code,
          reason: known.reason,
          notRetried: { since: new Date(known.since).toISOString() },
        });
      } else {
        triaged.toTry.push(planned);
      }
    }
  }
  return triaged;
}

/**
 * Rewrites each subdir's memory: this run's lasting failures plus the ones it did not retry. A
 * package that is no longer planned (stored, or gone upstream) or failed only transiently drops out.
 */
export async function rememberFailures(
  run: SyncRun,
  triaged: TriagedPackages,
  tried: ReadonlyArray<{ planned: PlannedPackage; outcome: Extract<PackageOutcome, { status: 'failed' }> }>,
): Promise<void> {
  const now = (run.now ?? Date.now)();
  for (const [subdir, memory] of triaged.memory) {
    const kept: RememberedFailure[] = triaged.notRetried
      .filter((f) => f.subdir === subdir)
      .map((f) => memory.get(f.filename)!);
    for (const { planned, outcome } of tried) {
      if (planned.subdir !== subdir || !isLastingFailure(outcome.kind)) continue;
      kept.push({
        filename: planned.filename,
        upstream: digestOf(run, planned),
        kind: outcome.kind,
        code: outcome.code,
        reason: outcome.reason,
        since: now,
      });
    }
    await writeFailureMemory(run.store, run.channelPrefix, subdir, kept, memory);
  }
}
