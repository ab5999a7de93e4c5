import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  type CondaError,
  compileFilter,
  type ExcludeReason,
  type FilterableRecord,
  type PackageRecordJson,
  parseRepodata,
  type RepodataHeader,
  type UnresolvedDependency,
} from '@condasync/conda';
import type { ObjectStore } from '@condasync/storage';
import type { SyncConfig } from '../config/index.ts';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import {
  mergeRunExports,
  parseRunExports,
  type RunExportsDocument,
  restrictRunExports,
} from '../outputs/run-exports.ts';
import { type ChannelSource, channelSource } from '../upstream/channel-source.ts';
import type { UpstreamHttp } from '../upstream/http-client.ts';
import { fetchUpstreamFile, fetchUpstreamRepodata } from '../upstream/repodata-fetch.ts';
import { fetchShardedChannels, type ShardedChannelRecords } from '../upstream/sharded-repodata.ts';
import { PlannedRecord } from './planned-record.ts';
import { replacedSincePublished } from './published-records.ts';
import { runPool } from './run-pool.ts';
import { type SolvedSelection, solveEnvironments } from './solve-environments.ts';
import { checkStoredFile } from './verify-stored.ts';

export interface PlanContext {
  store: ObjectStore;
  /** Key prefix of the destination channel in the store: '' for a mirror_dir, `<dest_channel>/` otherwise. */
  channelPrefix: string;
  http: UpstreamHttp;
  cacheDir: string;
  logger: Logger;
  signal?: AbortSignal;
  /**
   * `sync --reset`: fetch upstream metadata without the ETag cache and re-hash every stored file
   * (as `verify_checksum` does), so only files whose bytes differ are downloaded again.
   */
  reset?: boolean;
}

export { PlannedRecord };

export interface SubdirPlan {
  subdir: string;
  /** Upstream `info` of the first channel that has this subdir. */
  info: Record<string, unknown>;
  /** Union of upstream `removed` lists. */
  removed: string[];
  /** Everything the new repodata will list, by filename. */
  records: Map<string, PlannedRecord>;
  /** Filenames to fetch (not in the store, wrong size, or failed re-verification). */
  downloads: string[];
  downloadBytes: number;
  /** Selected files already in the store. */
  present: number;
  /** Package files in the store that the new repodata no longer lists, with their sizes. */
  removals: Array<{ filename: string; size: number }>;
  /**
   * Upstream run_exports.json entries (CEP 12) of the selected records, each from the channel its
   * record comes from; null when no channel publishes run_exports.json for this subdir.
   */
  runExports: RunExportsDocument | null;
}

export interface RejectedRecord {
  channel: string;
  subdir: string;
  reason: string;
}

export interface Collision {
  subdir: string;
  filename: string;
  kept: string;
  dropped: string;
}

export interface SyncPlan {
  subdirs: SubdirPlan[];
  excluded: Record<string, number>;
  unresolved: UnresolvedDependency[];
  /** Upstream records refused by validation (hostile or malformed); never mirrored. */
  rejected: RejectedRecord[];
  collisions: Collision[];
}

const PACKAGE_FILE = /^[^/]+\.(conda|tar\.bz2)$/;

/**
 * Reads every upstream channel's repodata for the mirrored subdirs, merges channels (first one
 * wins a filename), applies the config's filters and diffs the result against the store.
 * Pure planning: nothing is written to the store.
 */
export async function planSync(config: SyncConfig, ctx: PlanContext): Promise<SyncPlan> {
  const channels = config.channels.map(channelSource);
  const rejected: RejectedRecord[] = [];
  const collisions: Collision[] = [];
  const filter = compileFilter({
    pkgList: config.pkg_list,
    includeDependencies: config.include_dependencies,
    pythonVersions: config.python_versions,
    licenseBlacklist: config.license_blacklist,
    blacklist: config.blacklist,
    whitelist: config.whitelist,
  });
  // The solver may choose any upstream file, eligible or not: then every record is kept.
  const keepIneligible = config.environments.length > 0;
  // Records as parsed objects only for a pkg_list or the dependency closure, and only the eligible.
  const selectionInput = filter.selectsAllEligible ? null : new Map<string, Map<string, FilterableRecord>>();
  const excluded: Record<ExcludeReason, number> = {
    license: 0,
    python: 0,
    blacklist: 0,
    'not-in-pkg-list': 0,
  };
  const upstream = new Map<string, MergedSubdir>();

  const sharded = await readShardedUpstream(channels, config, ctx, (channel, subdir, error) =>
    rejected.push({ channel: channel.display, subdir, reason: error.message }),
  );
  for (const subdir of config.platforms) {
    const merged: MergedSubdir = {
      header: null,
      removed: new Set<string>(),
      records: new Map<string, PlannedRecord>(),
      runExports: null,
    };
    // Filenames won by an earlier channel but left out by the filters, so later channels still
    // report the collision (one channel cannot collide with itself: the parser refuses duplicates).
    const leftOut = channels.length > 1 ? new Map<string, string>() : null;
    const eligible = selectionInput === null ? null : new Map<string, FilterableRecord>();
    selectionInput?.set(subdir, eligible!);
    for (const [channelIndex, channel] of channels.entries()) {
      // Filters apply while reading: a left-out record is counted and dropped at once.
      const onRecord = (filename: string, record: PackageRecordJson): void => {
        const kept = merged.records.get(filename)?.channel.display ?? leftOut?.get(filename);
        if (kept !== undefined) {
          collisions.push({ subdir, filename, kept, dropped: channel.display });
          return;
        }
        const reason = filter.ineligibleReasonOf(record as FilterableRecord, subdir, filename);
        if (reason !== null) {
          excluded[reason]++;
          if (keepIneligible) merged.records.set(filename, new PlannedRecord(record, channel, channelIndex));
          else leftOut?.set(filename, channel.display);
          return;
        }
        merged.records.set(filename, new PlannedRecord(record, channel, channelIndex));
        eligible?.set(filename, record as FilterableRecord);
      };
      const fromShards = sharded?.[channelIndex];
      let header: RepodataHeader | null;
      if (fromShards) {
        for (const [filename, record] of fromShards.records.get(subdir) ?? []) onRecord(filename, record);
        fromShards.records.delete(subdir);
        header = fromShards.headers.get(subdir) ?? null;
      } else {
        header = await readChannelSubdir(channel, subdir, config, ctx, onRecord, (error) =>
          rejected.push({ channel: channel.display, subdir, reason: error.message }),
        );
      }
      if (header) {
        merged.header ??= header;
        for (const name of header.removed) merged.removed.add(name);
        // Entries only for the records this channel won, so each one describes the archive we serve.
        const fromThisChannel = (filename: string): boolean =>
          merged.records.get(filename)?.channelIndex === channelIndex;
        const runExports = await readChannelRunExports(channel, subdir, config, ctx, fromThisChannel);
        if (runExports) merged.runExports = mergeRunExports(merged.runExports, runExports);
      }
    }
    upstream.set(subdir, merged);
  }
  for (const collision of collisions) {
    ctx.logger.warn(collision, 'filename offered by several channels; the first channel wins');
  }
  for (const rejection of rejected.slice(0, 20)) ctx.logger.warn(rejection, 'upstream record refused');

  // Every record in selectionInput is eligible, so select() only adds not-in-pkg-list counts.
  const selection = selectionInput === null ? null : filter.select(selectionInput);
  selectionInput?.clear();
  if (selection !== null) excluded['not-in-pkg-list'] = selection.excluded['not-in-pkg-list'];

  const solved =
    config.environments.length > 0
      ? await solveEnvironments(config.environments, config.channels, ctx.logger, {
          http: ctx.http,
          deadlineMs: config.download_timeout_seconds * 1000,
          minBytesPerSecond: config.min_bytes_per_second,
        })
      : null;

  const subdirs: SubdirPlan[] = [];
  for (const [subdir, merged] of upstream) {
    let records = merged.records;
    // Without a pkg_list, closure or solver, the eligible records read are the selection as is.
    if (selection !== null || solved !== null) {
      const chosen = chosenFilenames(
        subdir,
        selection?.selected ?? null,
        solved,
        config,
        merged.records,
        ctx.logger,
      );
      records = new Map<string, PlannedRecord>();
      for (const filename of chosen) records.set(filename, merged.records.get(filename)!);
      merged.records.clear(); // the chosen ones live on in `records`; the rest may go now
    }
    const plan = await diffAgainstStore(subdir, merged.header, [...merged.removed], records, config, ctx);
    plan.runExports = merged.runExports === null ? null : restrictRunExports(merged.runExports, records);
    subdirs.push(plan);
  }
  return { subdirs, excluded, unresolved: selection?.unresolved ?? [], rejected, collisions };
}

interface MergedSubdir {
  header: RepodataHeader | null;
  removed: Set<string>;
  /** The records the plan may publish (with `environments`, the left-out ones too), by filename. */
  records: Map<string, PlannedRecord>;
  runExports: RunExportsDocument | null;
}

/**
 * The filters' selection, or with `environments` the solvers' solutions (plus pkg_list's
 * selection when both are given): the solver already chose exactly what to install.
 */
function chosenFilenames(
  subdir: string,
  selected: ReadonlyMap<string, Set<string>> | null,
  solved: SolvedSelection | null,
  config: SyncConfig,
  upstream: ReadonlyMap<string, PlannedRecord>,
  logger: Logger,
): Set<string> {
  const filtered = (): Iterable<string> =>
    selected === null ? upstream.keys() : (selected.get(subdir) ?? []);
  if (solved === null) return new Set(filtered());
  const chosen = new Set<string>(config.pkg_list === null ? [] : filtered());
  for (const filename of solved.get(subdir) ?? []) {
    if (upstream.has(filename)) chosen.add(filename);
    else
      logger.warn(
        { subdir, filename },
        'the solver chose a file the first channel does not list; not mirrored',
      );
  }
  return chosen;
}

/**
 * With a pkg_list, the shards (CEP 16) of the names the sync needs instead of every channel's whole
 * repodata.json; null (read the full repodata) without a pkg_list, for repodata_from_packages.json,
 * or when a channel has no shard index for some subdir.
 */
async function readShardedUpstream(
  channels: ChannelSource[],
  config: SyncConfig,
  ctx: PlanContext,
  onInvalidRecord: (channel: ChannelSource, subdir: string, error: CondaError) => void,
): Promise<ShardedChannelRecords[] | null> {
  if (config.pkg_list === null || config.repodata_source !== 'repodata.json') return null;
  const sharded = await fetchShardedChannels(channels, config.platforms, config.pkg_list, {
    http: ctx.http,
    cacheDir: ctx.cacheDir,
    forgetCache: ctx.reset === true,
    includeDependencies: config.include_dependencies,
    retries: config.retries,
    deadlineMs: config.download_timeout_seconds * 1000,
    minBytesPerSecond: config.min_bytes_per_second,
    concurrency: config.concurrency,
    onInvalidRecord,
    signal: ctx.signal,
    logger: ctx.logger,
  });
  for (const result of sharded ?? [])
    ctx.logger.info({ channel: result.channel.display, ...result.stats }, 'read upstream shards');
  return sharded;
}

async function readChannelSubdir(
  channel: ChannelSource,
  subdir: string,
  config: SyncConfig,
  ctx: PlanContext,
  onRecord: (filename: string, record: PackageRecordJson) => void,
  onInvalid: (error: CondaError) => void,
): Promise<RepodataHeader | null> {
  const fetched = await fetchUpstreamRepodata(channel, subdir, {
    http: ctx.http,
    cacheDir: ctx.cacheDir,
    forgetCache: ctx.reset === true,
    source: config.repodata_source,
    retries: config.retries,
    deadlineMs: config.download_timeout_seconds * 1000,
    minBytesPerSecond: config.min_bytes_per_second,
    maxBytes: 4 * 1024 ** 3,
    signal: ctx.signal,
    logger: ctx.logger,
  });
  if (fetched === null) {
    ctx.logger.warn(
      { channel: channel.display, subdir },
      'upstream has no such subdir; treating it as empty',
    );
    return null;
  }
  const entries = parseRepodata(createReadStream(fetched.path), { subdir, onInvalidRecord: onInvalid });
  try {
    for (;;) {
      const next = await entries.next();
      if (next.done) {
        ctx.logger.info({ upstream: fetched.display, cached: fetched.fromCache }, 'read upstream repodata');
        return next.value;
      }
      onRecord(next.value.filename, next.value.record);
    }
  } catch (error) {
    if (error instanceof MirrorError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new MirrorError(MirrorErrorCode.RepodataInvalid, `${fetched.display}: ${message}`, {
      cause: error,
    });
  }
}

/** Largest run_exports.json accepted (conda-forge linux-64: ~35 MB); it is parsed in one piece. */
const MAX_RUN_EXPORTS_BYTES = 256 * 1024 ** 2;

/**
 * The channel's `<subdir>/run_exports.json` (CEP 12; `.zst` preferred), restricted to the
 * filenames `keep` accepts, or null when the channel has none (404). Any other failure fails the
 * plan like a repodata failure would: publishing without it would drop a file clients use.
 */
async function readChannelRunExports(
  channel: ChannelSource,
  subdir: string,
  config: SyncConfig,
  ctx: PlanContext,
  keep: (filename: string) => boolean,
): Promise<RunExportsDocument | null> {
  const fetched = await fetchUpstreamFile(channel, subdir, 'run_exports.json', {
    http: ctx.http,
    cacheDir: ctx.cacheDir,
    forgetCache: ctx.reset === true,
    retries: config.retries,
    deadlineMs: config.download_timeout_seconds * 1000,
    minBytesPerSecond: config.min_bytes_per_second,
    maxBytes: MAX_RUN_EXPORTS_BYTES,
    optional: true,
    signal: ctx.signal,
    logger: ctx.logger,
  });
  if (fetched === null) return null;
  try {
    const { document, skipped } = parseRunExports(
      await readFile(fetched.path, 'utf8'),
      fetched.display,
      keep,
    );
    if (skipped > 0)
      ctx.logger.warn(
        { upstream: fetched.display, skipped },
        'run_exports entries that are not objects skipped',
      );
    return document;
  } catch (error) {
    throw new MirrorError(MirrorErrorCode.RepodataInvalid, (error as Error).message, { cause: error });
  }
}

async function diffAgainstStore(
  subdir: string,
  header: RepodataHeader | null,
  removed: string[],
  records: Map<string, PlannedRecord>,
  config: SyncConfig,
  ctx: PlanContext,
): Promise<SubdirPlan> {
  const prefix = `${ctx.channelPrefix}${subdir}/`;
  const replaced = await replacedSincePublished(ctx.store, prefix, subdir, records, ctx.logger);
  const usable = new Set<PlannedRecord>();
  const toRehash: string[] = [];
  const removals: Array<{ filename: string; size: number }> = [];
  // Sizes only: what every backend lists cheaply (a sha256 per object would cost the filesystem
  // store one sidecar read each, most of a 500 k-object listing). Content changes under the same
  // name are caught by comparing with the published repodata instead. Each listed object is
  // judged as it comes, so the listing is never held.
  for await (const { key, size } of ctx.store.list(prefix, { sha256: false })) {
    const filename = key.slice(prefix.length);
    if (!PACKAGE_FILE.test(filename)) continue;
    const planned = records.get(filename);
    if (planned === undefined) {
      removals.push({ filename, size });
    } else if (replaced.has(filename)) {
      ctx.logger.info(
        { subdir, filename },
        'upstream replaced this file under the same name; fetching it again',
      );
    } else if (size === planned.size) {
      if (config.verify_checksum || ctx.reset) toRehash.push(filename);
      else usable.add(planned);
    }
  }
  // Both runners plan here, so `verify_checksum` and `--reset` mean the same from the CLI and the API.
  await runPool(toRehash, config.concurrency, async (filename) => {
    const check = await checkStoredFile(
      ctx.store,
      `${prefix}${filename}`,
      records.get(filename)!,
      ctx.signal,
    );
    if (check.status === 'ok') usable.add(records.get(filename)!);
    else ctx.logger.warn({ subdir, filename }, 'stored file fails re-verification; fetching it again');
  });
  const downloads: string[] = [];
  let downloadBytes = 0;
  let present = 0;
  for (const [filename, planned] of records) {
    if (usable.has(planned)) {
      present++;
    } else {
      downloads.push(filename);
      downloadBytes += planned.size;
    }
  }
  downloads.sort();
  removals.sort((a, b) => (a.filename < b.filename ? -1 : 1));
  return {
    subdir,
    info: header?.info ?? {},
    removed,
    records,
    downloads,
    downloadBytes,
    present,
    removals,
    runExports: null,
  };
}
