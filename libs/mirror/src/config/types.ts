import type { LicenseFamily, LogLevel, RepodataSource } from './vocabulary.ts';

/** A conda-mirror style filter object: the name is required, version and build narrow it. */
export interface FilterObject {
  readonly name: string;
  /** A conda version spec, e.g. `>=1.20,<2` or `3.*`. */
  readonly version?: string;
  /** A build-string glob, e.g. `py310*`. */
  readonly build?: string;
}

/** One environment to make installable from the mirror (condasync addition). */
export interface EnvironmentConfig {
  readonly name: string;
  /** MatchSpecs, as in an environment.yml's dependencies or `pixi add`. */
  readonly specs: string[];
  /** An environment.yml or explicit lockfile to read specs or exact files from (CLI only). */
  readonly file: string | null;
  /** Exact files (`<subdir>/<filename>`) from an explicit lockfile: mirrored as they are, no solve. */
  readonly explicit: string[];
  /** Subdirs to solve for; each must be mirrored. Defaults to every mirrored platform. */
  readonly platforms: string[];
}

/** A blacklist/whitelist entry: a package name, a glob, a MatchSpec string, or a filter object. */
export type FilterEntry = string | FilterObject;

/**
 * The resolved sync config: every key present, defaults applied, values normalised. Keys keep the
 * snake_case spelling of the file so cas-mirror configs read the same. The object and every array
 * in it are frozen at runtime.
 */
export interface SyncConfig {
  /** Absolute upstream channel URLs (https, http, file), no trailing slash. May carry a token. */
  readonly channels: string[];
  /** Base URL for channel names and the default channels, with a trailing slash. */
  readonly remote_url: string;
  /** Subdirs to mirror, sorted and unique; always includes `noarch`. */
  readonly platforms: string[];
  readonly dest_channel: string;
  readonly dest_site: string | null;
  /** Folder to write the channel into (cas-sync export mode) instead of the storage. */
  readonly mirror_dir: string | null;
  /** Mirror only these package names (sorted, unique); null mirrors everything. */
  readonly pkg_list: string[] | null;
  readonly include_dependencies: boolean;
  /** Environments solved with rattler's solver; the union of their solutions is mirrored. */
  readonly environments: EnvironmentConfig[];
  /** Python versions such as `3.10` (strings, sorted by version); null keeps every version. */
  readonly python_versions: string[] | null;
  readonly license_blacklist: LicenseFamily[];
  readonly blacklist: FilterEntry[];
  readonly whitelist: FilterEntry[];
  readonly verify_checksum: boolean;
  readonly delta: boolean;
  readonly delta_dir: string | null;
  readonly fetch_installers: boolean;
  readonly dir_names: string[];
  readonly repodata_source: RepodataSource;
  readonly log_level: LogLevel;
  readonly log_dir: string | null;
  readonly server_port: number | null;
  readonly server_log_dir: string | null;
  // condasync additions (no cas-sync equivalent)
  readonly concurrency: number;
  readonly retries: number;
  readonly download_timeout_seconds: number;
  readonly min_bytes_per_second: number;
  readonly zstd_level: number;
  readonly grace_period_hours: number;
  /** Publish CEP 16 sharded repodata per subdir. */
  readonly shards: boolean;
  /** Publish current_repodata.json per subdir. */
  readonly current_repodata: boolean;
  /** Publish repodata.json.bz2 per subdir (a fallback for rattler when .zst is missing). */
  readonly repodata_bz2: boolean;
}

export type SyncConfigKey = keyof SyncConfig;
