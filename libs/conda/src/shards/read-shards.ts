import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { decodeMsgpack, decompressZstdFrame, type MsgpackLimits } from '@condasync/codecs';
import { CondaError, CondaErrorCode } from '../errors.ts';
import { compareFilenames } from '../repodata/canonical-json.ts';
import { type PackageRecordJson, RecordSection, type RecordSectionKey } from '../repodata/types.ts';
import { assertArtifactFilename, showValue, validateRepodataEntry } from '../repodata/validate-record.ts';
import { shardErrorFromCodec } from './shard-codec-error.ts';
import {
  assertPackageName,
  assertShardName,
  MAX_SHARD_BYTES,
  MAX_SHARD_INDEX_BYTES,
  SHARD_INDEX_VERSION,
  type Shard,
  type ShardIndex,
  type ShardIndexInfo,
} from './shard-model.ts';

export interface ShardReadOptions extends MsgpackLimits {
  /** The subdir being read; `info.subdir` and each record's `subdir` must equal it. */
  subdir?: string;
  /** Decompressed size cap (default 128 MiB for the index, 64 MiB for a shard, as conda). */
  maxDecompressedBytes?: number;
}

export interface DecodeShardOptions extends ShardReadOptions {
  /** The name this shard was fetched for; every record's `name` must equal it. */
  packageName?: string;
}

function invalid(message: string): CondaError {
  return new CondaError(CondaErrorCode.InvalidRecord, message);
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** The msgpack document inside a zstd-compressed shard or index, bombs and bad bytes refused. */
function decodeDocument(bytes: Uint8Array, maxBytes: number, limits: MsgpackLimits, what: string): unknown {
  try {
    return decodeMsgpack(decompressZstdFrame(bytes, maxBytes, what), limits, what);
  } catch (error) {
    throw shardErrorFromCodec(error);
  }
}

/** A shard hash from the index: bin 32 (CEP 16) or a 64-hex string (rattler accepts both). */
function shardHash(name: string, value: unknown): string {
  if (Buffer.isBuffer(value) && value.length === 32) return value.toString('hex');
  if (typeof value === 'string' && HEX_SHA256.test(value)) return value.toLowerCase();
  const shown = Buffer.isBuffer(value) ? `${value.length} bytes of bin` : showValue(value);
  throw invalid(`shard index: hash of "${name}" must be a 32-byte bin (sha256), got ${shown}`);
}

function optionalString(info: Record<string, unknown>, key: string): string | undefined {
  const value = info[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw invalid(`shard index: "info.${key}" must be a string, got ${showValue(value)}`);
  return value;
}

/**
 * Decodes a `repodata_shards.msgpack.zst` (the compressed bytes as served). Refuses zstd bombs and
 * malformed msgpack (LIMIT_EXCEEDED, MALFORMED_JSON), a wrong `info.subdir` (SUBDIR_MISMATCH), a
 * `version` other than 1, package names that are not CEP 26 names (so never path-like) and hashes
 * that are not 32 bytes (INVALID_RECORD). A missing `base_url` or `shards_base_url` reads as `""`
 * (conda-index before 0.6.1 wrote neither), so the result always has both.
 */
export function decodeShardIndex(bytes: Uint8Array, options: ShardReadOptions = {}): ShardIndex {
  const document = decodeDocument(
    bytes,
    options.maxDecompressedBytes ?? MAX_SHARD_INDEX_BYTES,
    options,
    'shard index',
  );
  if (!isMap(document)) throw invalid(`shard index must be a map, got ${showValue(document)}`);
  const { info, shards, version } = document;
  if (version !== undefined && version !== SHARD_INDEX_VERSION) {
    throw invalid(`shard index: "version" must be ${SHARD_INDEX_VERSION}, got ${showValue(version)}`);
  }
  if (!isMap(info)) throw invalid(`shard index: "info" must be a map, got ${showValue(info)}`);
  if (!isMap(shards)) throw invalid(`shard index: "shards" must be a map, got ${showValue(shards)}`);
  const subdir = info.subdir;
  if (typeof subdir !== 'string')
    throw invalid(`shard index: "info.subdir" must be a string, got ${showValue(subdir)}`);
  if (options.subdir !== undefined && subdir !== options.subdir) {
    throw new CondaError(
      CondaErrorCode.SubdirMismatch,
      `shard index "info.subdir" must be "${options.subdir}" (the subdir being read), got ${showValue(subdir)}`,
    );
  }
  const outInfo: ShardIndexInfo = {
    ...info,
    base_url: optionalString(info, 'base_url') ?? '',
    shards_base_url: optionalString(info, 'shards_base_url') ?? '',
    subdir,
  };
  optionalString(info, 'created_at');
  const names = Object.keys(shards).sort(compareFilenames);
  const map = new Map<string, string>();
  for (const name of names) {
    assertPackageName(name, 'shard index');
    map.set(name, shardHash(name, shards[name]));
  }
  return { version: version as number | undefined, info: outInfo, shards: map };
}

/**
 * Turns a shard record back into repodata.json form: bin values of top-level fields become
 * lowercase hex (`md5`, `sha256`; rattler also writes `legacy_bz2_md5` as bin). Bin anywhere
 * deeper has no JSON meaning and is refused.
 */
function toJsonRecord(filename: string, record: unknown): unknown {
  if (!isMap(record)) return record; // validateRepodataEntry names the problem
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (Buffer.isBuffer(value)) {
      const expected = key === 'md5' ? 16 : key === 'sha256' ? 32 : value.length;
      if (value.length !== expected) {
        throw invalid(
          `shard record "${filename}": field "${key}" must be ${expected} bytes, got ${value.length}`,
        );
      }
      record[key] = value.toString('hex');
    } else {
      assertNoBin(value, `${key}`, filename);
    }
  }
  return record;
}

function assertNoBin(value: unknown, path: string, filename: string): void {
  if (Buffer.isBuffer(value)) {
    throw invalid(`shard record "${filename}": "${path}" is binary, expected a JSON value`);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) assertNoBin(value[i], `${path}[${i}]`, filename);
  } else if (isMap(value)) {
    for (const key of Object.keys(value)) assertNoBin(value[key], `${path}.${key}`, filename);
  }
}

function decodeSection(
  document: Record<string, unknown>,
  section: RecordSectionKey,
  options: DecodeShardOptions,
): Record<string, PackageRecordJson> {
  const members = document[section];
  if (members === undefined && section === 'packages.conda') return {};
  if (!isMap(members)) throw invalid(`shard: "${section}" must be a map, got ${showValue(members)}`);
  const out: Record<string, PackageRecordJson> = {};
  for (const filename of Object.keys(members)) {
    const record = toJsonRecord(filename, members[filename]);
    // Without an expected subdir, a record's own `subdir` is only checked to be a string.
    const subdir =
      options.subdir ?? (isMap(record) && typeof record.subdir === 'string' ? record.subdir : '');
    const entry = validateRepodataEntry(filename, RecordSection[section], record, subdir);
    if (options.packageName !== undefined && entry.record.name !== options.packageName) {
      throw invalid(
        `shard for "${options.packageName}": record "${filename}" belongs to package ${showValue(entry.record.name)}`,
      );
    }
    out[filename] = entry.record;
  }
  return out;
}

/**
 * Decodes one shard (the compressed bytes as served) into repodata.json form: every record is
 * validated like a repodata.json record (filename safe and consistent, hashes hex), `packages` is
 * required (as rattler requires it), `packages.conda` defaults to `{}`, `removed` is kept when
 * present, other keys are ignored (CEP 16). Check the bytes against the name first with
 * `verifyShard`. Throws LIMIT_EXCEEDED, MALFORMED_JSON, INVALID_FILENAME, INVALID_RECORD or
 * SUBDIR_MISMATCH.
 */
export function decodeShard(bytes: Uint8Array, options: DecodeShardOptions = {}): Shard {
  const what = options.packageName === undefined ? 'shard' : `shard of "${options.packageName}"`;
  const document = decodeDocument(bytes, options.maxDecompressedBytes ?? MAX_SHARD_BYTES, options, what);
  if (!isMap(document)) throw invalid(`${what} must be a map, got ${showValue(document)}`);
  const shard: Shard = {
    packages: decodeSection(document, 'packages', options),
    'packages.conda': decodeSection(document, 'packages.conda', options),
  };
  const { removed } = document;
  if (removed !== undefined) {
    if (!Array.isArray(removed))
      throw invalid(`${what}: "removed" must be an array, got ${showValue(removed)}`);
    for (const filename of removed) assertArtifactFilename(filename);
    shard.removed = removed as string[];
  }
  return shard;
}

/**
 * Checks that `bytes` (a shard file as fetched) hash to `name`, the sha256 hex the index gave.
 * Throws INVALID_FILENAME when `name` is not 64 lowercase hex (so never a path) and
 * INVALID_RECORD when the bytes do not match.
 */
export function verifyShard(name: string, bytes: Uint8Array): void {
  assertShardName(name);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== name) {
    throw invalid(`shard "${name}" is corrupt: its ${bytes.length} bytes hash to ${actual}`);
  }
}
