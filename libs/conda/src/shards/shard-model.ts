import type { Buffer } from 'node:buffer';
import { CondaError, CondaErrorCode } from '../errors.ts';
import type { PackageRecordJson } from '../repodata/types.ts';
import { showValue } from '../repodata/validate-record.ts';

/** File name of the shard index in each subdir (CEP 16). */
export const SHARD_INDEX_FILENAME = 'repodata_shards.msgpack.zst';

/** Suffix of every shard file: `<sha256 hex of the compressed bytes>.msgpack.zst`. */
export const SHARD_FILE_SUFFIX = '.msgpack.zst';

/** The index `version` we write and accept (CEP 16). */
export const SHARD_INDEX_VERSION = 1;

/**
 * Decompression caps, the same as conda's newest (`ZSTD_MAX_SHARD_INDEX_SIZE` 128 MiB,
 * `ZSTD_MAX_SHARD_SIZE` 64 MiB, raised from 16 MiB "as channel history grows"). The largest real
 * shard (conda-forge linux-64 `vim`) is 2.6 MB decompressed; the conda-forge index is ~0.6 MB.
 */
export const MAX_SHARD_INDEX_BYTES = 128 * 1024 * 1024;
export const MAX_SHARD_BYTES = 64 * 1024 * 1024;

/** `info` of a shard index. Unknown keys from upstream are kept. */
export interface ShardIndexInfo {
  /** Where packages are, relative to the index URL (`""`: next to it). */
  base_url: string;
  /** Where shards are, relative to the index URL, with a trailing slash (or `""`). */
  shards_base_url: string;
  subdir: string;
  /** RFC 3339 time the index was made, when the writer said. */
  created_at?: string;
  [key: string]: unknown;
}

/** A decoded `repodata_shards.msgpack.zst`. */
export interface ShardIndex {
  /** `version` (CEP 16: 1), or undefined when the index has none (conda-index writes none). */
  version: number | undefined;
  info: ShardIndexInfo;
  /** Package name → sha256 (lowercase hex) of its shard's compressed bytes, sorted by name. */
  shards: Map<string, string>;
}

/** A decoded shard, its records in repodata.json form (`md5`, `sha256` as lowercase hex). */
export interface Shard {
  packages: Record<string, PackageRecordJson>;
  'packages.conda': Record<string, PackageRecordJson>;
  removed?: string[];
}

/** One shard file to store at `<shards_base_url><name>.msgpack.zst`. */
export interface ShardFile {
  /** sha256 (lowercase hex) of `bytes`. */
  name: string;
  /** The zstd-compressed msgpack shard. */
  bytes: Buffer;
  packageName: string;
}

/** The storage file name of a shard: `<sha256 hex>.msgpack.zst`. */
export function shardFilename(sha256Hex: string): string {
  assertShardName(sha256Hex);
  return sha256Hex + SHARD_FILE_SUFFIX;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A shard name is 64 lowercase hex characters, so it can never be a path. Throws INVALID_FILENAME. */
export function assertShardName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !SHA256_HEX.test(name)) {
    throw new CondaError(
      CondaErrorCode.InvalidFilename,
      `invalid shard name ${showValue(name)}: expected the sha256 of the shard as 64 lowercase hex characters`,
    );
  }
}

/** CEP 26 package names (case-insensitive), as the repodata validator accepts them. */
const PACKAGE_NAME = /^[a-z0-9_][a-z0-9_.-]{0,127}$/i;

/**
 * Checks a package name taken from a shard index or a filename: CEP 26 characters, which exclude
 * "/", "\\" and NUL, plus no "..", so that it cannot act as a path anywhere. Throws INVALID_RECORD.
 */
export function assertPackageName(name: unknown, where: string): asserts name is string {
  if (typeof name !== 'string' || !PACKAGE_NAME.test(name) || name.includes('..')) {
    throw new CondaError(
      CondaErrorCode.InvalidRecord,
      `${where}: invalid package name ${showValue(name)}: expected 1-128 ASCII letters, digits and "_.-", not starting with "." or "-", without ".."`,
    );
  }
}

/**
 * The package name inside a validated artifact filename `<name>-<version>-<build>.<ext>`: version
 * and build cannot contain "-", so the name is everything before the second-to-last "-".
 */
export function packageNameOfFilename(filename: string): string {
  const stem = filename.slice(0, filename.lastIndexOf(filename.endsWith('.conda') ? '.conda' : '.tar.bz2'));
  const beforeBuild = stem.lastIndexOf('-');
  const beforeVersion = beforeBuild > 0 ? stem.lastIndexOf('-', beforeBuild - 1) : -1;
  const name = beforeVersion > 0 ? stem.slice(0, beforeVersion) : '';
  assertPackageName(name, `package filename "${filename}"`);
  return name;
}
