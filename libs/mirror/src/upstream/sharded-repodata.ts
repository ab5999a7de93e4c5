import {
  CondaError,
  type MatchSpec,
  type PackageRecordJson,
  parseMatchSpec,
  type RepodataHeader,
  type ShardIndex,
  shardFilename,
} from '@condasync/conda';
import { redactUrl } from '../config/channel-url.ts';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { runPool } from '../steps/run-pool.ts';
import type { ChannelSource } from './channel-source.ts';
import type { UpstreamHttp } from './http-client.ts';
import { fetchShard, shardsBaseUrl } from './shard-fetch.ts';
import { fetchShardIndex } from './shard-index-fetch.ts';
import { readShardRecords } from './shard-records.ts';

export interface ShardedRepodataOptions {
  http: UpstreamHttp;
  /** Worker-local cache folder (index ETags, content-addressed shards). */
  cacheDir: string;
  /** Follow `depends` to a fixpoint, as the `include_dependencies` filter does. */
  includeDependencies: boolean;
  retries: number;
  deadlineMs: number;
  minBytesPerSecond: number;
  /** Shards in flight at once (default 16, the upstream client's connections per host). */
  concurrency?: number;
  /** Largest compressed shard index accepted (default 64 MiB; conda-forge linux-64's is ~0.6 MB). */
  maxIndexBytes?: number;
  /**
   * Most shards one call may read, over all channels and subdirs (default 5000). Past it the
   * closure is so large that the full repodata.json is the cheaper read, so the call returns null.
   */
  maxShards?: number;
  /** Keep CEP 21 `run_exports` inside the records instead of moving them to `runExports`. */
  keepRunExports?: boolean;
  /** A shard record refused by validation; it is skipped, like a bad repodata.json record. */
  onInvalidRecord?: (channel: ChannelSource, subdir: string, error: CondaError) => void;
  /** A reset: fetch every shard index unconditionally (shards are content-addressed, so kept). */
  forgetCache?: boolean;
  signal?: AbortSignal;
  logger: Logger;
}

/** What one channel's shards gave, in the shapes the plan step reads repodata into. */
export interface ShardedChannelRecords {
  channel: ChannelSource;
  /** subdir → filename → record, for every requested subdir (empty when no shard matched). */
  records: Map<string, Map<string, PackageRecordJson>>;
  /** subdir → stand-in for the repodata.json header: `info: {subdir}`, `removed` of the shards read. */
  headers: Map<string, RepodataHeader>;
  /** subdir → filename → CEP 21 `run_exports` moved out of the record (see `keepRunExports`). */
  runExports: Map<string, Map<string, unknown>>;
  /**
   * subdir → the index's non-empty `info.base_url`: its packages are NOT next to the index, where
   * the mirror fetches them. Empty for every index seen so far (conda-index, rattler-index).
   */
  baseUrls: Map<string, string>;
  /** subdir → package names whose shards were read, sorted. */
  names: Map<string, string[]>;
  stats: ShardFetchStats;
}

export interface ShardFetchStats {
  /** Shard indexes read (one per subdir). */
  indexes: number;
  /** Of those, revalidated with a 304 (cached copy used). */
  indexesNotModified: number;
  /** Shards downloaded. */
  shardsFetched: number;
  /** Shards read from the local content-addressed cache, no request made. */
  shardsFromCache: number;
  /** Compressed bytes downloaded for shards. */
  shardBytes: number;
  /** Shard answers that did not hash to their name (each one refetched). */
  corruptAnswers: number;
}

interface ChannelState {
  channel: ChannelSource;
  /** subdir → index, the URL shards resolve against, and lower-cased name → names in the index. */
  subdirs: Map<string, { index: ShardIndex; base: URL; byLowerName: Map<string, string[]> }>;
  result: ShardedChannelRecords;
}

interface ShardJob {
  state: ChannelState;
  subdir: string;
  name: string;
  sha256: string;
}

const DEFAULTS = { concurrency: 16, maxIndexBytes: 64 * 1024 ** 2, maxShards: 5000 } as const;

/**
 * Reads only the shards (CEP 16) that a `pkg_list` sync needs from one channel: the shards of the
 * names `rootSpecs` match (names, `*` globs or MatchSpecs, as in pkg_list), and with
 * `includeDependencies` the shards of every name in the `depends` of the records read, until no
 * new name appears. Returns null when some subdir has no shard index (or the closure passes
 * `maxShards`): the caller then reads the full repodata.json. The records are exactly the full
 * repodata's records of those names, so `filterPackages` selects the same files from them.
 */
export async function fetchShardedRecords(
  channel: ChannelSource,
  subdirs: readonly string[],
  rootSpecs: readonly string[],
  options: ShardedRepodataOptions,
): Promise<ShardedChannelRecords | null> {
  const all = await fetchShardedChannels([channel], subdirs, rootSpecs, options);
  return all === null ? null : (all[0] as ShardedChannelRecords);
}

/**
 * `fetchShardedRecords` over several channels at once, one result per channel in order. The
 * dependency closure is shared: a name met in any channel's records is read from every channel,
 * because the plan merges channels before filtering. Null when any channel lacks an index.
 */
export async function fetchShardedChannels(
  channels: readonly ChannelSource[],
  subdirs: readonly string[],
  rootSpecs: readonly string[],
  options: ShardedRepodataOptions,
): Promise<ShardedChannelRecords[] | null> {
  const roots = rootSpecs.map(parseRoot);
  const states: ChannelState[] = [];
  for (const channel of channels) {
    const state = await openChannel(channel, subdirs, options);
    if (state === null) return null;
    states.push(state);
  }

  const scopes = resolutionScopes(subdirs);
  const requested = new Map<string, Set<string>>(subdirs.map((subdir) => [subdir, new Set<string>()]));
  /** Marks (subdir, lower-cased name) wanted; true when it is new and some channel has a shard for it. */
  const want = (subdir: string, lowerName: string): boolean => {
    const seen = requested.get(subdir) as Set<string>;
    if (seen.has(lowerName)) return false;
    seen.add(lowerName);
    return states.some((state) => state.subdirs.get(subdir)?.byLowerName.has(lowerName));
  };

  let wave: Array<[string, string]> = [];
  for (const subdir of subdirs) {
    for (const spec of roots) {
      for (const lowerName of namesMatching(states, subdir, spec)) {
        if (want(subdir, lowerName)) wave.push([subdir, lowerName]);
      }
    }
  }

  const maxShards = options.maxShards ?? DEFAULTS.maxShards;
  let shardsRead = 0;
  while (wave.length > 0) {
    const jobs = jobsFor(states, wave);
    shardsRead += jobs.length;
    if (shardsRead > maxShards) {
      options.logger.warn(
        { shards: shardsRead, maxShards },
        'pkg_list closure needs more shards than the limit; reading the full repodata instead',
      );
      return null;
    }
    const depends = new Map<string, Set<string>>(); // subdir of the record → depends strings
    await runPool(jobs, options.concurrency ?? DEFAULTS.concurrency, async (job) => {
      const records = await readJob(job, options);
      if (!options.includeDependencies) return;
      let specs = depends.get(job.subdir);
      if (specs === undefined) {
        specs = new Set();
        depends.set(job.subdir, specs);
      }
      for (const record of records) for (const dependency of record.depends ?? []) specs.add(dependency);
    });
    wave = [];
    for (const [fromSubdir, specs] of depends) {
      for (const text of specs) {
        const spec = parseDependency(text);
        if (spec === null) continue;
        for (const subdir of scopes.get(fromSubdir) ?? []) {
          for (const lowerName of namesMatching(states, subdir, spec)) {
            if (want(subdir, lowerName)) wave.push([subdir, lowerName]);
          }
        }
      }
    }
  }
  return states.map((state) => finish(state));
}

/** Reads every channel's index for `subdirs`; null when one is missing. */
async function openChannel(
  channel: ChannelSource,
  subdirs: readonly string[],
  options: ShardedRepodataOptions,
): Promise<ChannelState | null> {
  const result: ShardedChannelRecords = {
    channel,
    records: new Map(),
    headers: new Map(),
    runExports: new Map(),
    baseUrls: new Map(),
    names: new Map(),
    stats: {
      indexes: 0,
      indexesNotModified: 0,
      shardsFetched: 0,
      shardsFromCache: 0,
      shardBytes: 0,
      corruptAnswers: 0,
    },
  };
  const state: ChannelState = { channel, subdirs: new Map(), result };
  const indexOptions = {
    ...options,
    maxIndexBytes: options.maxIndexBytes ?? DEFAULTS.maxIndexBytes,
  };
  const fetched = await Promise.all(subdirs.map((subdir) => fetchShardIndex(channel, subdir, indexOptions)));
  for (const [i, subdir] of subdirs.entries()) {
    const found = fetched[i];
    if (found === null || found === undefined) {
      options.logger.info(
        { channel: channel.display, subdir },
        'upstream has no shard index here; reading the full repodata instead',
      );
      return null;
    }
    result.stats.indexes++;
    if (found.notModified) result.stats.indexesNotModified++;
    const { index } = found;
    if (index.info.base_url !== '') {
      result.baseUrls.set(subdir, index.info.base_url);
      options.logger.warn(
        { upstream: found.display, base_url: index.info.base_url },
        'shard index says packages live elsewhere (info.base_url); the mirror fetches them next to the index',
      );
    }
    const byLowerName = new Map<string, string[]>();
    for (const name of index.shards.keys()) {
      const lower = name.toLowerCase();
      const list = byLowerName.get(lower);
      if (list === undefined) byLowerName.set(lower, [name]);
      else list.push(name);
    }
    state.subdirs.set(subdir, {
      index,
      base: shardsBaseUrl(channel, found.url, index.info.shards_base_url),
      byLowerName,
    });
    result.records.set(subdir, new Map());
    result.headers.set(subdir, { info: { subdir }, repodataVersion: 1, removed: [], extra: {} });
    result.runExports.set(subdir, new Map());
    result.names.set(subdir, []);
  }
  return state;
}

/** Where the depends of a record in each subdir resolve: the same rule as libs/conda filterPackages. */
function resolutionScopes(subdirs: readonly string[]): Map<string, string[]> {
  const hasNoarch = subdirs.includes('noarch');
  const platforms = subdirs.filter((subdir) => subdir !== 'noarch');
  return new Map(
    subdirs.map((subdir) => [
      subdir,
      subdir === 'noarch' ? ['noarch', ...platforms] : hasNoarch ? [subdir, 'noarch'] : [subdir],
    ]),
  );
}

/** Lower-cased names in any channel's index for `subdir` that `spec`'s name (maybe a glob) matches. */
function namesMatching(states: readonly ChannelState[], subdir: string, spec: MatchSpec): string[] {
  const exact = spec.exactName;
  if (exact !== undefined) return [exact];
  const out = new Set<string>();
  for (const state of states) {
    for (const [lower, names] of state.subdirs.get(subdir)?.byLowerName ?? []) {
      if (names.some((name) => spec.matchesName(name))) out.add(lower);
    }
  }
  return [...out];
}

function jobsFor(states: readonly ChannelState[], wave: ReadonlyArray<[string, string]>): ShardJob[] {
  const jobs: ShardJob[] = [];
  for (const [subdir, lowerName] of wave) {
    for (const state of states) {
      const opened = state.subdirs.get(subdir);
      for (const name of opened?.byLowerName.get(lowerName) ?? []) {
        jobs.push({ state, subdir, name, sha256: opened?.index.shards.get(name) as string });
      }
    }
  }
  return jobs;
}

/** Fetches and decodes one shard into its channel's result; returns the records read. */
async function readJob(job: ShardJob, options: ShardedRepodataOptions): Promise<PackageRecordJson[]> {
  const { state, subdir, name, sha256 } = job;
  const { result } = state;
  const opened = state.subdirs.get(subdir);
  if (opened === undefined) throw new RangeError(`subdir '${subdir}' was not opened`);
  const fetched = await fetchShard(state.channel, opened.base, sha256, options);
  result.stats.corruptAnswers += fetched.corruptAnswers;
  if (fetched.fromCache) result.stats.shardsFromCache++;
  else {
    result.stats.shardsFetched++;
    result.stats.shardBytes += fetched.bytes.byteLength;
  }
  const display = redactUrl(new URL(shardFilename(sha256), opened.base).href);
  const shard = readShardRecords(fetched.bytes, subdir, name, display, {
    keepRunExports: options.keepRunExports ?? false,
    onInvalid: (error) => options.onInvalidRecord?.(state.channel, subdir, error),
  });
  const records = result.records.get(subdir) as Map<string, PackageRecordJson>;
  for (const [filename, record] of shard.records) if (!records.has(filename)) records.set(filename, record);
  const runExports = result.runExports.get(subdir) as Map<string, unknown>;
  for (const [filename, value] of shard.runExports) runExports.set(filename, value);
  result.headers.get(subdir)?.removed.push(...shard.removed);
  result.names.get(subdir)?.push(name);
  return [...shard.records.values()];
}

function finish(state: ChannelState): ShardedChannelRecords {
  const { result } = state;
  for (const names of result.names.values()) names.sort();
  for (const header of result.headers.values()) header.removed = [...new Set(header.removed)].sort();
  return result;
}

/** A pkg_list entry as the filter parses it; a bad one is the config's fault. */
function parseRoot(text: string): MatchSpec {
  try {
    return parseMatchSpec(text);
  } catch (error) {
    if (!(error instanceof CondaError)) throw error;
    throw new MirrorError(
      MirrorErrorCode.ConfigInvalid,
      `pkg_list entry ${JSON.stringify(text)}: ${error.message}`,
      {
        cause: error,
        details: [{ path: 'pkg_list', message: error.message }],
      },
    );
  }
}

/**
 * The spec of a dependency to follow, or null for one the filter never resolves either: virtual
 * packages (`__glibc`) and strings that are not MatchSpecs (the filter reports those as unresolved).
 */
function parseDependency(text: string): MatchSpec | null {
  let spec: MatchSpec;
  try {
    spec = parseMatchSpec(text);
  } catch {
    return null;
  }
  return spec.name.startsWith('__') ? null : spec;
}
