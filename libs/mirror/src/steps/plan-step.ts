import type { PlannedPackage } from './package-step.ts';
import { planSync, type SubdirPlan, type SyncPlan } from './plan.ts';
import { readStagedDownloads, stageSubdirPlan } from './staging.ts';
import { cacheDirOf, type SyncRun, scratchDirOf } from './sync-run.ts';

/** What a plan found for one subdir, in the counters both runners report. */
export interface PlannedSubdirCounts {
  subdir: string;
  /** Records the filters (or the solver) selected. */
  selected: number;
  /** Files to download. */
  planned: number;
  /** Selected files already in the store. */
  skipped: number;
  bytesPlanned: number;
}

/** The plan step: reads, merges and filters upstream, and diffs the selection against the store. */
export function planStep(run: SyncRun): Promise<SyncPlan> {
  return planSync(run.config, {
    store: run.store,
    channelPrefix: run.channelPrefix,
    http: run.http,
    cacheDir: cacheDirOf(run),
    logger: run.logger,
    ...(run.signal ? { signal: run.signal } : {}),
    ...(run.reset ? { reset: true } : {}),
  });
}

export function plannedCounts(subdir: SubdirPlan): PlannedSubdirCounts {
  return {
    subdir: subdir.subdir,
    selected: subdir.records.size,
    planned: subdir.downloads.length,
    skipped: subdir.present,
    bytesPlanned: subdir.downloadBytes,
  };
}

/** The files a subdir's plan wants downloaded, in download order. */
export function* plannedPackages(subdir: SubdirPlan): Generator<PlannedPackage> {
  for (const filename of subdir.downloads) {
    const { channelIndex, size, sha256, md5 } = subdir.records.get(filename)!;
    yield { subdir: subdir.subdir, filename, channelIndex, size, sha256, md5 };
  }
}

/**
 * Stages a plan in the store for runners whose steps run in other processes (a worker's package
 * and finalize jobs), releasing each subdir's records as they are written. Returns the counts.
 */
export async function stagePlan(
  run: SyncRun,
  syncId: string,
  plan: SyncPlan,
): Promise<PlannedSubdirCounts[]> {
  const counts = plan.subdirs.map(plannedCounts);
  for (const subdir of plan.subdirs) {
    await stageSubdirPlan(syncId, subdir, {
      store: run.store,
      tempDir: scratchDirOf(run),
      releaseRecords: true,
    });
  }
  return counts;
}

/** The files a staged subdir's plan wants downloaded, streamed from the staging. */
export function stagedPackages(
  run: Pick<SyncRun, 'store'>,
  syncId: string,
  subdir: string,
): AsyncGenerator<PlannedPackage> {
  return readStagedDownloads(run.store, syncId, subdir);
}
