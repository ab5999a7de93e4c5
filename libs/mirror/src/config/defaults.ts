/*
 * Named default values the key table (keys.ts) is built from. SYNC_CONFIG_DEFAULTS, the default of
 * every key, is made from the table.
 */

/** Freezes a list but keeps the mutable array type the SyncConfig interface uses. */
export function frozenList<T>(items: T[]): T[] {
  return Object.freeze(items) as T[];
}

/** cas-sync's default upstream: the base of Anaconda's default channels. */
export const DEFAULT_REMOTE_URL = 'https://repo.anaconda.com/';

/**
 * Where conda itself sends a bare channel name such as `conda-forge` (its `channel_alias`). Used
 * only while `remote_url` is left at its default, so `channels: [conda-forge]` means what it means
 * to conda instead of a non-existent https://repo.anaconda.com/conda-forge.
 */
export const CONDA_CHANNEL_ALIAS = 'https://conda.anaconda.org/';

/** The channels cas-sync mirrors when `channels` is absent, relative to `remote_url`. */
export const DEFAULT_CHANNEL_NAMES = ['pkgs/main', 'pkgs/free', 'pkgs/pro'] as const;

/**
 * Subdirs mirrored when `platforms` is absent: the ones both conda-forge and pkgs/main publish
 * today. cas-sync's list (osx-32, win-32, linux-32, linux-armv6l, …) predates osx-arm64 and
 * linux-aarch64 and names subdirs nobody builds for any more.
 */
export const DEFAULT_PLATFORMS = [
  'linux-64',
  'linux-aarch64',
  'linux-ppc64le',
  'noarch',
  'osx-64',
  'osx-arm64',
  'win-64',
] as const;

/** Numeric limits, shared by the JSON Schema and the docs. */
export const LIMITS = {
  concurrency: { min: 1, max: 256 },
  retries: { min: 0, max: 100 },
  download_timeout_seconds: { min: 1, max: 7 * 24 * 3600 },
  min_bytes_per_second: { min: 0, max: 1024 ** 3 },
  zstd_level: { min: 1, max: 22 },
  grace_period_hours: { min: 0, max: 24 * 365 },
  server_port: { min: 1, max: 65535 },
} as const;
