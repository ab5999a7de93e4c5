import type { RunExportsDocument } from '../outputs/run-exports.ts';
import { applyDeletionGrace } from './deletions.ts';
import { type FinalizeInput, type FinalizeResult, finalizeSubdir } from './finalize.ts';
import { graceMsOf, type SyncRun, scratchDirOf } from './sync-run.ts';

/** A planned subdir, ready to publish once its downloads ended. */
export interface SubdirToPublish {
  subdir: string;
  info: Record<string, unknown>;
  removed: readonly string[];
  /** The records to list: the plan's, minus the packages that failed. */
  records: FinalizeInput['records'];
  /** `undefined` (staged before condasync knew run_exports.json) leaves a published one alone. */
  runExports?: RunExportsDocument | null | undefined;
  /** Package files in the store that the new repodata no longer lists. */
  unlisted: ReadonlyArray<{ filename: string }>;
}

export interface PublishedSubdir extends FinalizeResult {
  /** Unlisted package files deleted because their grace period ended. */
  deleted: number;
  /** Unlisted package files still in their grace period. */
  pendingDeletion: number;
}

/**
 * The publish step: writes a subdir's metadata as the config asks (finalizeSubdir), then starts or
 * continues the deletion grace of the packages it no longer lists: deletions only ever follow the
 * publication (docs/design.md §5, invariant 4).
 */
export async function publishSubdirStep(run: SyncRun, input: SubdirToPublish): Promise<PublishedSubdir> {
  const { config } = run;
  const now = run.now ?? Date.now;
  const graceMs = graceMsOf(config);
  const result = await finalizeSubdir(
    {
      subdir: input.subdir,
      info: input.info,
      removed: input.removed,
      records: input.records,
      zstdLevel: config.zstd_level,
      shards: config.shards,
      currentRepodata: config.current_repodata,
      repodataBz2: config.repodata_bz2,
      ...(input.runExports === undefined ? {} : { runExports: input.runExports }),
      graceMs,
      now: now(),
    },
    {
      store: run.store,
      channelPrefix: run.channelPrefix,
      tempDir: scratchDirOf(run),
      logger: run.logger,
      ...(run.signal ? { signal: run.signal } : {}),
    },
  );
  const deletions = await applyDeletionGrace(
    { subdir: input.subdir, unlisted: input.unlisted, graceMs, now: now() },
    { store: run.store, channelPrefix: run.channelPrefix, logger: run.logger },
  );
  return { ...result, deleted: deletions.deleted.length, pendingDeletion: deletions.pending };
}
