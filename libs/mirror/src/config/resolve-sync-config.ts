import { type ConfigProblem, MirrorError, MirrorErrorCode } from '../errors.ts';
import { checkRemoteUrl, redactUrl, resolveChannelEntry } from './channel-url.ts';
import { DEFAULT_CHANNEL_NAMES, frozenList } from './defaults.ts';
import { installerConfigProblems } from './installer-checks.ts';
import { keySpec, SYNC_CONFIG_DEFAULTS } from './keys.ts';
import { boundedProblems, describeValue, schemaProblems } from './schema-problems.ts';
import type { EnvironmentConfig, FilterEntry, SyncConfig } from './types.ts';
import { unsupportedKeyProblems } from './unsupported-keys.ts';
import { checkFilterEntry, checkLicenseFamily, checkLogLevel, checkPythonVersion } from './value-checks.ts';
import type { LicenseFamily } from './vocabulary.ts';
import { LICENSE_FAMILIES, REPODATA_SOURCES, type RepodataSource } from './vocabulary.ts';

export interface ResolveOptions {
  /** Named in the error message, e.g. the config file's path. */
  sourceName?: string;
}

/**
 * Validates a parsed sync config (e.g. an API JSON body) and returns it with defaults applied,
 * normalised and frozen. Throws one MirrorError CONFIG_INVALID listing every problem. Numbers given
 * for versions must be integers here: `3.10` has already become 3.1 by the time JSON.parse is done.
 * Use parseSyncConfig on the raw text to keep `3.10` as written.
 */
export function resolveSyncConfig(raw: unknown, options: ResolveOptions = {}): SyncConfig {
  // An empty YAML file loads as undefined and `---` as null: both mean "all defaults".
  const input = raw === undefined || raw === null ? {} : raw;
  const problems = schemaProblems(input);
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw invalidConfig(problems, options.sourceName);
  }
  const config = normalise(input as Record<string, unknown>, problems);
  problems.push(...unsupportedKeyProblems(input as Record<string, unknown>, problems));
  if (problems.length > 0) {
    throw invalidConfig(inFileOrder(problems, Object.keys(input)), options.sourceName);
  }
  return config;
}

/** Builds the config from schema-checked input; values of the wrong type were already reported. */
function normalise(input: Record<string, unknown>, problems: ConfigProblem[]): SyncConfig {
  const report = (path: string, message: string): void => {
    problems.push({ path, message });
  };
  const defaults = SYNC_CONFIG_DEFAULTS;

  let remoteUrl = defaults.remote_url;
  const remoteUrlGiven = typeof input['remote_url'] === 'string';
  if (remoteUrlGiven) {
    const checked = checkRemoteUrl((input['remote_url'] as string).trim());
    if (checked.ok) remoteUrl = checked.url;
    else report('remote_url', checked.message);
  }

  const channels: string[] = [];
  const channelEntries = Array.isArray(input['channels']) ? input['channels'] : [...DEFAULT_CHANNEL_NAMES];
  const channelsGiven = Array.isArray(input['channels']);
  channelEntries.forEach((entry, index) => {
    if (typeof entry !== 'string') return;
    // The default channels always live under remote_url, even the implicit one.
    const checked = resolveChannelEntry(entry, remoteUrl, !remoteUrlGiven && channelsGiven);
    const path = channelsGiven ? `channels[${index}]` : 'remote_url';
    if (!checked.ok) {
      report(path, checked.message);
    } else if (channels.includes(checked.url)) {
      const first = channels.indexOf(checked.url);
      report(path, `'${redactUrl(checked.url)}' is listed twice (same channel as channels[${first}])`);
    } else {
      channels.push(checked.url);
    }
  });

  const platforms = Array.isArray(input['platforms'])
    ? sortedUnique([...strings(input['platforms']), 'noarch'])
    : defaults.platforms;

  const pkgListEntries: string[] = [];
  listOf(input['pkg_list']).forEach((entry, index) => {
    if (typeof entry !== 'string') return;
    const checked = checkFilterEntry(entry);
    if (checked === null) return;
    if (!checked.ok) report(`pkg_list[${index}]`, checked.message);
    else pkgListEntries.push(checked.value as string);
  });
  const pkgList = sortedUnique(pkgListEntries);

  const pythonVersions: string[] = [];
  listOf(input['python_versions']).forEach((entry, index) => {
    if (typeof entry !== 'string' && typeof entry !== 'number') return;
    const checked = checkPythonVersion(entry);
    if (!checked.ok) report(`python_versions[${index}]`, checked.message);
    else if (!pythonVersions.includes(checked.value)) pythonVersions.push(checked.value);
  });
  pythonVersions.sort(compareVersions);

  const licenseBlacklist = new Set<LicenseFamily>();
  listOf(input['license_blacklist']).forEach((entry, index) => {
    if (typeof entry !== 'string') return;
    const checked = checkLicenseFamily(entry);
    if (!checked.ok) report(`license_blacklist[${index}]`, checked.message);
    else licenseBlacklist.add(checked.value);
  });

  const filters = (key: 'blacklist' | 'whitelist'): FilterEntry[] => {
    const result: FilterEntry[] = [];
    listOf(input[key]).forEach((entry, index) => {
      const checked = checkFilterEntry(entry);
      if (checked === null) return;
      if (!checked.ok) report(`${key}[${index}]${checked.subPath}`, checked.message);
      else result.push(checked.value);
    });
    return result;
  };
  const blacklist = filters('blacklist');
  const whitelist = filters('whitelist');

  if (pkgList.length > 0) {
    const conflicting = (['blacklist', 'whitelist', 'license_blacklist'] as const).filter(
      (key) => listOf(input[key]).length > 0,
    );
    if (conflicting.length > 0) {
      report(
        'pkg_list',
        `cannot be combined with ${conflicting.join(', ')}: pkg_list names exactly what to mirror; ` +
          'remove pkg_list or the filter lists',
      );
    }
  }

  const environments: EnvironmentConfig[] = [];
  listOf(input['environments']).forEach((entry, index) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return;
    const raw = entry as { name?: unknown; specs?: unknown; platforms?: unknown; file?: unknown };
    const file = typeof raw.file === 'string' ? raw.file : null;
    if ((file === null) === (raw.specs === undefined)) {
      report(
        `environments[${index}]`,
        'give exactly one of specs (a list of MatchSpecs) or file (an environment.yml or explicit lockfile)',
      );
    }
    const specs: string[] = [];
    listOf(raw.specs).forEach((spec, specIndex) => {
      if (typeof spec !== 'string') return;
      const checked = checkFilterEntry(spec);
      if (checked !== null && !checked.ok)
        report(`environments[${index}].specs[${specIndex}]`, checked.message);
      else specs.push(spec.trim());
    });
    const envPlatforms = Array.isArray(raw.platforms)
      ? strings(raw.platforms)
      : platforms.filter((platform) => platform !== 'noarch');
    envPlatforms.forEach((platform, platformIndex) => {
      if (!platforms.includes(platform)) {
        report(
          `environments[${index}].platforms[${platformIndex}]`,
          `'${platform}' is not one of the mirrored platforms (${platforms.join(', ')})`,
        );
      }
    });
    environments.push(
      Object.freeze({
        name: typeof raw.name === 'string' ? raw.name : `environment-${index + 1}`,
        specs: frozenList(specs),
        file,
        // Filled by expandEnvironmentFiles from an explicit lockfile; never written in a config.
        explicit: frozenList([]),
        platforms: frozenList(envPlatforms.length > 0 ? envPlatforms : ['noarch']),
      }),
    );
  });
  if (environments.length > 0) {
    const conflicting = (['blacklist', 'whitelist', 'license_blacklist'] as const).filter(
      (key) => listOf(input[key]).length > 0,
    );
    if (conflicting.length > 0) {
      report(
        'environments',
        `cannot be combined with ${conflicting.join(', ')}: the solver picks exactly what to mirror; remove the filter lists`,
      );
    }
  }

  const delta = bool(input['delta'], defaults.delta);
  const deltaDir = text(input['delta_dir'], 'delta_dir', report);
  // While delta itself is refused as not supported yet, asking for its folder would mislead.
  if (delta && deltaDir === null && keySpec('delta').notYet === undefined) {
    report('delta_dir', 'is required when delta is true (the folder the new packages are written to)');
  }

  const fetchInstallers = bool(input['fetch_installers'], defaults.fetch_installers);
  const dirNames = Array.isArray(input['dir_names'])
    ? frozenList([...new Set(strings(input['dir_names']))])
    : defaults.dir_names;
  if (fetchInstallers) {
    for (const problem of installerConfigProblems(remoteUrl, dirNames, input))
      report(problem.path, problem.message);
  }

  let logLevel = defaults.log_level;
  if (typeof input['log_level'] === 'string' || typeof input['log_level'] === 'number') {
    const checked = checkLogLevel(input['log_level']);
    if (checked.ok) logLevel = checked.value;
    else report('log_level', checked.message);
  }

  const repodataSource = REPODATA_SOURCES.includes(input['repodata_source'] as RepodataSource)
    ? (input['repodata_source'] as RepodataSource)
    : defaults.repodata_source;

  const config: SyncConfig = {
    channels: frozenList(channels),
    remote_url: remoteUrl,
    platforms: frozenList(platforms),
    dest_channel: text(input['dest_channel'], 'dest_channel', report) ?? defaults.dest_channel,
    dest_site: text(input['dest_site'], 'dest_site', report),
    mirror_dir: text(input['mirror_dir'], 'mirror_dir', report),
    pkg_list: pkgList.length > 0 ? frozenList(pkgList) : null,
    include_dependencies: bool(input['include_dependencies'], defaults.include_dependencies),
    environments: frozenList(environments),
    python_versions: pythonVersions.length > 0 ? frozenList(pythonVersions) : null,
    license_blacklist: frozenList(LICENSE_FAMILIES.filter((family) => licenseBlacklist.has(family))),
    blacklist: frozenList(blacklist),
    whitelist: frozenList(whitelist),
    verify_checksum: bool(input['verify_checksum'], defaults.verify_checksum),
    delta,
    delta_dir: deltaDir,
    fetch_installers: fetchInstallers,
    dir_names: dirNames,
    repodata_source: repodataSource,
    log_level: logLevel,
    log_dir: text(input['log_dir'], 'log_dir', report),
    server_port: num(input['server_port'], null),
    server_log_dir: text(input['server_log_dir'], 'server_log_dir', report),
    concurrency: num(input['concurrency'], defaults.concurrency),
    retries: num(input['retries'], defaults.retries),
    download_timeout_seconds: num(input['download_timeout_seconds'], defaults.download_timeout_seconds),
    min_bytes_per_second: num(input['min_bytes_per_second'], defaults.min_bytes_per_second),
    zstd_level: num(input['zstd_level'], defaults.zstd_level),
    grace_period_hours: num(input['grace_period_hours'], defaults.grace_period_hours),
    shards: bool(input['shards'], defaults.shards),
    current_repodata: bool(input['current_repodata'], defaults.current_repodata),
    repodata_bz2: bool(input['repodata_bz2'], defaults.repodata_bz2),
  };
  return Object.freeze(config);
}

type Report = (path: string, message: string) => void;

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function strings(values: unknown[]): string[] {
  return values.filter((value): value is string => typeof value === 'string').map((value) => value.trim());
}

function sortedUnique(values: string[]): string[] {
  return [...new Set(values)].sort();
}

function bool(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

/** A non-blank string, or null when absent. Blank strings are an error, not a silent default. */
function text(value: unknown, path: string, report: Report): string | null {
  if (typeof value !== 'string') return null;
  if (value.trim() === '') {
    if (value !== '') report(path, 'must not be blank');
    return null;
  }
  if (value.includes('\0')) {
    report(path, `must not contain a NUL character, got ${describeValue(value)}`);
  }
  return value;
}

/** Ranges and NaN/Infinity (YAML .nan/.inf) were reported by the schema. */
function num<T extends number | null>(value: unknown, fallback: T): number | T {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** Orders `2.7` < `3.9` < `3.10` (numerically, part by part). */
function compareVersions(left: string, right: string): number {
  const a = left.split('.').map(Number);
  const b = right.split('.').map(Number);
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? -1) - (b[index] ?? -1);
    if (difference !== 0) return difference;
  }
  return 0;
}

/**
 * Schema problems come first and cross-key checks last; a reader going down the file wants them in
 * the file's key order, list entries by index.
 */
function inFileOrder(problems: ConfigProblem[], keys: string[]): ConfigProblem[] {
  // A map, not indexOf: a config with 20 000 unknown keys has 20 000 problems to rank.
  const keyIndexes = new Map(keys.map((key, index) => [key, index]));
  const rank = (problem: ConfigProblem): [number, number] => {
    const match = /^([^.[]*)(?:\[(\d+)\])?/.exec(problem.path);
    const keyIndex = keyIndexes.get(match?.[1] ?? '') ?? -1;
    return [keyIndex === -1 ? keys.length : keyIndex, Number(match?.[2] ?? -1)];
  };
  return problems
    .map((problem, order) => ({ problem, order, rank: rank(problem) }))
    .sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1] || a.order - b.order)
    .map((entry) => entry.problem);
}

function invalidConfig(allProblems: readonly ConfigProblem[], sourceName: string | undefined): MirrorError {
  const problems = boundedProblems(allProblems);
  const where = sourceName === undefined ? '' : ` (${sourceName})`;
  const count = allProblems.length === 1 ? '1 problem' : `${allProblems.length} problems`;
  const lines = problems.map(
    (problem) => `  - ${problem.path === '' ? '(top level)' : problem.path}: ${problem.message}`,
  );
  return new MirrorError(
    MirrorErrorCode.ConfigInvalid,
    `invalid sync config${where}: ${count}\n${lines.join('\n')}`,
    {
      details: Object.freeze(problems.map((problem) => Object.freeze({ ...problem }))),
    },
  );
}
