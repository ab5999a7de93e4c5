import type { PackageRecordJson } from '@condasync/conda';
import type { RunExportsDocument } from '../outputs/run-exports.ts';
import {
  headTopFiles,
  InputsDigest,
  readPublishedInputs,
  sameFiles,
  writePublishedInputs,
} from '../state/published-inputs.ts';
import { applyDeletionGrace } from './deletions.ts';
import { type FinalizeInput, type FinalizeResult, finalizeSubdir } from './finalize.ts';
import { graceMsOf, type SyncRun, scratchDirOf } from './sync-run.ts';

type Records = FinalizeInput['records'];

/** A planned subdir, ready to publish once its downloads ended. */
export interface SubdirToPublish {
  subdir: string;
  info: Record<string, unknown>;
  removed: readonly string[];
  /**
   * The records to list: the plan's, minus the packages that failed. Read twice (once to hash the
   * inputs, once to publish), so a function that starts a fresh iteration is best; a one-shot
   * iterable is buffered.
   */
  records: Records | (() => Records);
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
  /** True when finalize was left out: same inputs as the last publication, which is still in place. */
  skipped?: boolean;
}

/**
 * The publish step: writes a subdir's metadata as the config asks (finalizeSubdir), then starts or
 * continues the deletion grace of the packages it no longer lists: deletions only ever follow the
 * publication (docs/design.md §5, invariant 4). When the inputs of every output are those of the
 * last publication and its files are still in place, finalize is left out: it would write the same
 * bytes.
 */
export async function publishSubdirStep(run: SyncRun, input: SubdirToPublish): Promise<PublishedSubdir> {
  const { config } = run;
  const now = run.now ?? Date.now;
  const graceMs = graceMsOf(config);
  const subdirPrefix = `${run.channelPrefix}${input.subdir}/`;
  const records = await replayable(input.records);
  const digest = await inputsDigest(run, input, records());
  // `--reset` republishes whatever the inputs.
  const last = run.reset ? null : await readPublishedInputs(run.store, run.channelPrefix, input.subdir);
  let result: FinalizeResult & { skipped?: boolean };
  if (
    last !== null &&
    last.digest === digest &&
    last.pendingShards === 0 &&
    sameFiles(last.files, await headTopFiles(run.store, subdirPrefix))
  ) {
    run.logger.info(
      { subdir: input.subdir },
      'inputs unchanged since the last publication; finalize skipped',
    );
    result = {
      ...last.result,
      subdir: input.subdir,
      changed: false,
      written: [],
      removedOutputs: [],
      shardsPendingDeletion: 0,
      skipped: true,
    };
  } else {
    const finalized = await finalizeSubdir(
      {
        subdir: input.subdir,
        info: input.info,
        removed: input.removed,
        records: records(),
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
    await writePublishedInputs(run.store, run.channelPrefix, input.subdir, {
      digest,
      files: await headTopFiles(run.store, subdirPrefix),
      pendingShards: finalized.shardsPendingDeletion,
      result: summaryOf(finalized),
    });
    result = finalized;
  }
  const deletions = await applyDeletionGrace(
    { subdir: input.subdir, unlisted: input.unlisted, graceMs, now: now() },
    { store: run.store, channelPrefix: run.channelPrefix, logger: run.logger },
  );
  return { ...result, deleted: deletions.deleted.length, pendingDeletion: deletions.pending };
}

/** What a skipped finalize reports: the last publication's figures, with nothing written. */
function summaryOf(result: FinalizeResult) {
  return {
    records: result.records,
    sha256: result.sha256,
    bytes: result.bytes,
    ...(result.shards === undefined
      ? {}
      : { shards: { count: result.shards.count, written: 0, pendingDeletion: 0, deleted: 0 } }),
  };
}

async function inputsDigest(run: SyncRun, input: SubdirToPublish, records: Records): Promise<string> {
  const { config } = run;
  const digest = new InputsDigest({
    subdir: input.subdir,
    info: input.info,
    removed: input.removed,
    // undefined (leave a published run_exports alone) and null (remove it) publish differently.
    runExports: input.runExports === undefined ? 'unknown' : input.runExports,
    zstdLevel: config.zstd_level,
    shards: config.shards,
    currentRepodata: config.current_repodata,
    repodataBz2: config.repodata_bz2,
  });
  for await (const [filename, record] of records) digest.addRecord(filename, record);
  return digest.digest();
}

/** A way to iterate the records more than once; a one-shot iterable is read into memory first. */
async function replayable(records: SubdirToPublish['records']): Promise<() => Records> {
  if (typeof records === 'function') return records;
  if (Array.isArray(records)) return () => records;
  const buffered: Array<[string, PackageRecordJson]> = [];
  for await (const entry of records) buffered.push(entry);
  return () => buffered;
}
