import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  canonicalRecordJson,
  compareFilenames,
  type PackageRecordJson,
  SHARD_INDEX_FILENAME,
  writeRepodata,
} from '@condasync/conda';
import type { ObjectStore } from '@condasync/storage';
import type { Logger } from '../logger.ts';
import { writeBrowseIndex } from '../outputs/browse-index.ts';
import { selectCurrentRecords } from '../outputs/current-repodata.ts';
import { type RunExportsDocument, runExportsJson } from '../outputs/run-exports.ts';
import { applyDeletionGrace } from './deletions.ts';
import {
  deleteIfPresent,
  type HashedFile,
  publishBz2Twin,
  publishJsonWithZst,
  writeHashed,
} from './finalize/publish.ts';
import { listStoredShards, publishShards, SHARDS_FOLDER } from './finalize/shards.ts';
import { MetadataTransaction } from './finalize/undo.ts';

export interface FinalizeInput {
  subdir: string;
  info: Record<string, unknown>;
  removed: readonly string[];
  /** The records to publish: every one of them is already in the store, verified. */
  records:
    | Iterable<[filename: string, record: PackageRecordJson]>
    | AsyncIterable<[filename: string, record: PackageRecordJson]>;
  zstdLevel: number;
  /** CEP 16 shards and their index (default true). False removes a published index. */
  shards?: boolean;
  /**
   * current_repodata.json(.zst): true writes it, false removes a published one, `undefined` leaves
   * whatever is published alone (a caller that does not know the config, e.g. an import).
   */
  currentRepodata?: boolean;
  /**
   * repodata.json.bz2 (bzip2 of the same bytes, slow to build): true writes it, false removes a
   * published one, `undefined` rewrites a published one when repodata.json changes but never creates
   * one (a caller that does not know the config, e.g. an import, must not leave it describing
   * other records than repodata.json).
   */
  repodataBz2?: boolean;
  /**
   * Upstream run_exports entries: written as run_exports.json(.zst) for the published filenames.
   * `null` (no upstream has one) removes a published run_exports.json; `undefined` leaves it alone.
   */
  runExports?: RunExportsDocument | null;
  /** How long shard files no longer listed by the index stay (default 24 h, as grace_period_hours). */
  graceMs?: number;
  /** Now, for the shard grace period (default Date.now()). */
  now?: number;
}

export interface FinalizeContext {
  store: ObjectStore;
  channelPrefix: string;
  tempDir: string;
  logger: Logger;
  signal?: AbortSignal;
}

export interface ShardOutcome {
  /** Shards the index lists (one per package name). */
  count: number;
  /** Shard files this run wrote (the rest were in the store already). */
  written: number;
  /** Unlisted shard files kept for their grace period. */
  pendingDeletion: number;
  /** Unlisted shard files deleted because their grace period ended. */
  deleted: number;
}

export interface FinalizeResult {
  subdir: string;
  records: number;
  /** False when the published repodata already had exactly these bytes (nothing rewritten). */
  changed: boolean;
  sha256: string;
  bytes: number;
  /** Metadata files rewritten by this run, relative to the subdir, in write order (shard files: see `shards`). */
  written: string[];
  /** Optional outputs removed because they are off (or gone upstream), relative to the subdir. */
  removedOutputs: string[];
  /** Absent when shards are off. */
  shards?: ShardOutcome;
  /** Unlisted shard files still in their grace period, shards on or off (a later run must go on). */
  shardsPendingDeletion: number;
}

const DEFAULT_GRACE_MS = 24 * 3_600_000;

interface Entry {
  filename: string;
  json: string;
}

/**
 * Publishes a subdir's metadata in this order, each file only when its bytes changed: shard files,
 * the shard index, run_exports.json(.zst), current_repodata.json(.zst), repodata.json.bz2 (when
 * on), repodata.json.zst and repodata.json last. Every package they list is already in the store,
 * every shard the index lists is written before it, and compressed twins go before their JSON.
 * Documents are built in scratch files (they can be hundreds of MB). Outputs turned off are removed
 * after repodata.json; shard files the index no longer lists are deleted once unlisted for the
 * grace period.
 */
export async function finalizeSubdir(input: FinalizeInput, ctx: FinalizeContext): Promise<FinalizeResult> {
  await mkdir(ctx.tempDir, { recursive: true });
  const stem = join(ctx.tempDir, `${process.pid}-${Date.now()}-${input.subdir}`);
  const scratch: string[] = [];
  const scratchFile = (name: string): string => {
    const path = `${stem}-${name}`;
    scratch.push(path, `${path}.zst`, `${path}.bz2`);
    return path;
  };
  const subdirPrefix = `${ctx.channelPrefix}${input.subdir}/`;
  // Shard files are content-addressed (an existing one never changes, a new one is harmless and
  // ends its grace period unlisted): only the subdir's mutable files need their old version kept.
  const transaction = new MetadataTransaction({
    store: ctx.store,
    name: `${ctx.channelPrefix}${input.subdir}`,
    guarded: (key) => key.startsWith(subdirPrefix) && !key.startsWith(`${subdirPrefix}${SHARDS_FOLDER}`),
    logger: ctx.logger,
  });
  const publish = { store: transaction.store, signal: ctx.signal };
  const written: string[] = [];
  const note = (changed: boolean, ...names: string[]): void => {
    if (changed) written.push(...names);
  };
  try {
    const { packages, packagesConda, count } = await splitAndSort(input.records);
    const json = await writeDocument(input, packages, packagesConda, scratchFile('repodata.json'));

    let shards: ShardOutcome | undefined;
    let referencedShards = new Set<string>();
    let storedShards: Set<string>;
    if (input.shards ?? true) {
      const published = await publishShards(
        input.subdir,
        subdirPrefix,
        [...packages, ...packagesConda],
        input.removed,
        publish,
      );
      referencedShards = published.referenced;
      storedShards = published.existing;
      note(published.indexChanged, SHARD_INDEX_FILENAME);
      shards = {
        count: published.referenced.size,
        written: published.written,
        pendingDeletion: 0,
        deleted: 0,
      };
    } else {
      storedShards = await listStoredShards(subdirPrefix, publish);
    }

    if (input.runExports) {
      const filenames = new Set([...packages, ...packagesConda].map((e) => e.filename));
      const text = runExportsJson(input.subdir, input.runExports, filenames);
      const document = await writeHashed([Buffer.from(text)], scratchFile('run_exports.json'));
      const changed = await publishJsonWithZst(
        `${subdirPrefix}run_exports.json`,
        document,
        input.zstdLevel,
        publish,
      );
      note(changed, 'run_exports.json.zst', 'run_exports.json');
    }

    if (input.currentRepodata === true) {
      const current = await currentEntries(packages, packagesConda);
      const document = await writeDocument(
        input,
        current.packages,
        current.packagesConda,
        scratchFile('current_repodata.json'),
      );
      const changed = await publishJsonWithZst(
        `${subdirPrefix}current_repodata.json`,
        document,
        input.zstdLevel,
        publish,
      );
      note(changed, 'current_repodata.json.zst', 'current_repodata.json');
    }

    if (input.repodataBz2 !== false) {
      const started = performance.now();
      const mode = input.repodataBz2 === true ? 'publish' : 'follow';
      const bz2Written = await publishBz2Twin(`${subdirPrefix}repodata.json`, json, mode, publish);
      note(bz2Written, 'repodata.json.bz2');
      // Worth a line of its own: on a large subdir this can take longer than the rest of finalize.
      if (bz2Written)
        ctx.logger.info(
          { subdir: input.subdir, ms: Math.round(performance.now() - started) },
          'published repodata.json.bz2',
        );
    }

    const changed = await publishJsonWithZst(`${subdirPrefix}repodata.json`, json, input.zstdLevel, publish);
    note(changed, 'repodata.json.zst', 'repodata.json');
    await writeBrowseIndex(
      { ...ctx, subdir: input.subdir, entries: [...packages, ...packagesConda], repodataSha256: json.sha256 },
      ctx,
    );
    if (changed)
      ctx.logger.info({ subdir: input.subdir, records: count, bytes: json.size }, 'published repodata');
    else ctx.logger.info({ subdir: input.subdir, records: count }, 'repodata unchanged; nothing rewritten');

    // Outputs that are off or gone upstream must answer 404, not serve stale data.
    const stale: string[] = [];
    if (!(input.shards ?? true)) stale.push(SHARD_INDEX_FILENAME);
    if (input.runExports === null) stale.push('run_exports.json', 'run_exports.json.zst');
    if (input.currentRepodata === false) stale.push('current_repodata.json', 'current_repodata.json.zst');
    if (input.repodataBz2 === false) stale.push('repodata.json.bz2');
    const removedOutputs = (
      await deleteIfPresent(
        stale.map((name) => `${subdirPrefix}${name}`),
        publish,
      )
    ).map((key) => key.slice(subdirPrefix.length));
    await transaction.commit();

    // Only now, with the new index published, may unlisted shard files start their countdown.
    const unlisted = [...storedShards].filter((name) => !referencedShards.has(name)).sort();
    const grace = await applyDeletionGrace(
      {
        subdir: input.subdir,
        unlisted: unlisted.map((filename) => ({ filename })),
        graceMs: input.graceMs ?? DEFAULT_GRACE_MS,
        now: input.now ?? Date.now(),
        kind: 'shards',
      },
      { store: ctx.store, channelPrefix: ctx.channelPrefix, logger: ctx.logger },
    );
    if (shards !== undefined) {
      shards.pendingDeletion = grace.pending;
      shards.deleted = grace.deleted.length;
    }
    return {
      subdir: input.subdir,
      records: count,
      changed,
      sha256: json.sha256,
      bytes: json.size,
      written,
      removedOutputs,
      ...(shards === undefined ? {} : { shards }),
      shardsPendingDeletion: grace.pending,
    };
  } catch (error) {
    // Invariant 3: a failed publish leaves the previously published metadata as it was.
    await transaction.rollback();
    throw error;
  } finally {
    await Promise.all(scratch.map((path) => rm(path, { force: true })));
  }
}

async function writeDocument(
  input: FinalizeInput,
  packages: Entry[],
  packagesConda: Entry[],
  path: string,
): Promise<HashedFile> {
  return writeHashed(
    writeRepodata({
      subdir: input.subdir,
      info: input.info,
      removed: input.removed,
      packages,
      packagesConda,
    }),
    path,
  );
}

async function splitAndSort(records: FinalizeInput['records']) {
  const packages: Entry[] = [];
  const packagesConda: Entry[] = [];
  for await (const [filename, record] of records) {
    const entry = { filename, json: canonicalRecordJson(record) };
    (filename.endsWith('.conda') ? packagesConda : packages).push(entry);
  }
  const byFilename = (a: { filename: string }, b: { filename: string }): number =>
    compareFilenames(a.filename, b.filename);
  packages.sort(byFilename);
  packagesConda.sort(byFilename);
  return { packages, packagesConda, count: packages.length + packagesConda.length };
}

/** The records of current_repodata.json, still sorted by filename. */
async function currentEntries(packages: Entry[], packagesConda: Entry[]) {
  const chosen = selectCurrentRecords(
    [...packages, ...packagesConda].map((entry) => ({
      filename: entry.filename,
      record: JSON.parse(entry.json) as PackageRecordJson,
    })),
  );
  const current = { packages: [] as Entry[], packagesConda: [] as Entry[] };
  for (const { filename, record } of chosen) {
    (filename.endsWith('.conda') ? current.packagesConda : current.packages).push({
      filename,
      json: canonicalRecordJson(record),
    });
  }
  return current;
}
