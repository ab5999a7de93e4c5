import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { compressZstdFrame, MsgpackEncoder, type ZstdFrameOptions } from '@condasync/codecs';
import { CondaError, CondaErrorCode } from '../errors.ts';
import { canonicalRecordJson, compareFilenames } from '../repodata/canonical-json.ts';
import type { ArtifactFormat, PackageRecordJson } from '../repodata/types.ts';
import { artifactFormatOf, assertArtifactFilename, showValue } from '../repodata/validate-record.ts';
import type { RepodataWriterEntry } from '../repodata/write-repodata.ts';
import { DEFAULT_ZSTD_LEVEL } from '../repodata/zstd.ts';
import { shardErrorFromCodec } from './shard-codec-error.ts';
import { packageNameOfFilename, SHARD_INDEX_VERSION, type ShardFile } from './shard-model.ts';

type Entries = Iterable<RepodataWriterEntry> | AsyncIterable<RepodataWriterEntry>;

/**
 * How `md5` and `sha256` are written inside shard records. `bytes` (msgpack bin of 16 and 32
 * bytes) is what CEP 16 specifies and what conda-index and rattler-index write; `hex` keeps the
 * repodata.json strings, as conda's own test fixture does. Every client reads both.
 */
export type ShardHashEncoding = 'bytes' | 'hex';

export interface ShardWriterOptions {
  /** zstd level of the shards and the index (default 3, like conda-index). */
  zstdLevel?: number;
  /**
   * `info.base_url` (default `""`: packages are next to the index, which is our layout). conda
   * reads the key unconditionally and rattler requires it, so it is always written.
   */
  baseUrl?: string;
  /**
   * `info.shards_base_url` (default `"./shards/"`: shards live in `<subdir>/shards/`, our storage
   * layout and rattler-index's; conda-index uses `""`, i.e. shards next to the index). Always
   * written, because rattler requires it.
   */
  shardsBaseUrl?: string;
  /** `info.created_at`; omitted by default so the same input always gives the same bytes. */
  createdAt?: Date;
  /** Record hashes; default `bytes` (CEP 16). The index always holds bin 32, as every writer does. */
  hashEncoding?: ShardHashEncoding;
  /**
   * Filenames for the `removed` list of their package's shard (sorted, no duplicates). A name with
   * no record left gets no shard, so its removed filenames are dropped.
   */
  removed?: Iterable<string>;
  /** Append a zstd content checksum (default false, like conda-index: the sha256 name covers it). */
  zstdChecksum?: boolean;
}

export interface BuiltShards {
  /** The compressed `repodata_shards.msgpack.zst`. */
  index: Buffer;
  /** One shard per package name, sorted by package name. */
  shards: ShardFile[];
}

/** A record waiting to be encoded: its canonical JSON or the parsed record. */
interface Member {
  filename: string;
  source: string | PackageRecordJson;
}

interface Group {
  packages: Member[];
  conda: Member[];
}

const MD5_HEX = /^[0-9a-f]{32}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

async function groupByPackageName(entries: Entries): Promise<Map<string, Group>> {
  const groups = new Map<string, Group>();
  for await (const entry of entries) {
    const format: ArtifactFormat | undefined =
      'format' in entry ? entry.format : artifactFormatOf(String(entry.filename));
    assertArtifactFilename(entry.filename, format);
    const name = packageNameOfFilename(entry.filename);
    let group = groups.get(name);
    if (group === undefined) {
      group = { packages: [], conda: [] };
      groups.set(name, group);
    }
    const source = 'json' in entry ? entry.json : entry.record;
    (format === 'conda' ? group.conda : group.packages).push({ filename: entry.filename, source });
  }
  return groups;
}

function groupRemoved(removed: Iterable<string> | undefined): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const filename of new Set(removed ?? [])) {
    assertArtifactFilename(filename);
    const name = packageNameOfFilename(filename);
    const list = byName.get(name);
    if (list === undefined) byName.set(name, [filename]);
    else list.push(filename);
  }
  return byName;
}

/** The record as a shard holds it: the repodata.json record, hashes as bin unless asked for hex. */
function shardRecord(member: Member, packageName: string, hashEncoding: ShardHashEncoding): unknown {
  const json = typeof member.source === 'string' ? member.source : canonicalRecordJson(member.source);
  const record = JSON.parse(json) as Record<string, unknown>;
  if (record.name !== packageName) {
    throw new CondaError(
      CondaErrorCode.InvalidRecord,
      `shard writer: record "${member.filename}" has name ${showValue(record.name)}, expected "${packageName}" (from its filename)`,
    );
  }
  if (hashEncoding === 'bytes') {
    // Only well-formed lowercase hex is converted, so the reader's bytes→hex gives back the same text.
    if (typeof record.md5 === 'string' && MD5_HEX.test(record.md5))
      record.md5 = Buffer.from(record.md5, 'hex');
    if (typeof record.sha256 === 'string' && SHA256_HEX.test(record.sha256)) {
      record.sha256 = Buffer.from(record.sha256, 'hex');
    }
  }
  return record;
}

/** One section of a shard, sorted by filename (a Map, which the encoder writes in this order). */
function sectionMap(
  members: Member[],
  section: string,
  packageName: string,
  hashEncoding: ShardHashEncoding,
): Map<string, unknown> {
  members.sort((a, b) => compareFilenames(a.filename, b.filename));
  const out = new Map<string, unknown>();
  for (let i = 0; i < members.length; i++) {
    const member = members[i]!;
    if (i > 0 && members[i - 1]!.filename === member.filename) {
      throw new CondaError(
        CondaErrorCode.InvalidFilename,
        `shard writer: "${member.filename}" appears more than once under "${section}"`,
      );
    }
    out.set(member.filename, shardRecord(member, packageName, hashEncoding));
  }
  return out;
}

/** msgpack, then one zstd frame; a value msgpack cannot hold is INVALID_RECORD. */
function encodeFrame(encoder: MsgpackEncoder, value: unknown, zstd: ZstdFrameOptions): Buffer {
  try {
    return compressZstdFrame(encoder.encodeView(value), zstd);
  } catch (error) {
    throw shardErrorFromCodec(error);
  }
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

function indexInfo(subdir: string, options: ShardWriterOptions): Record<string, string> {
  const info: Record<string, string> = {
    base_url: options.baseUrl ?? '',
    shards_base_url: options.shardsBaseUrl ?? './shards/',
    subdir,
  };
  // RFC 3339 at whole seconds, as in CEP 16's example ("2022-01-01T00:00:00Z").
  if (options.createdAt !== undefined)
    info.created_at = options.createdAt.toISOString().replace(/\.\d+Z$/, 'Z');
  return info;
}

/**
 * Splits a subdir's records into CEP 16 shards, one per package name, and yields each shard file
 * as soon as it is made (in package-name order), so a caller can store them one by one; the
 * generator's return value is the compressed index. Entries may come in any order and mix both
 * formats (the extension decides the section); the per-name groups hold only references to the
 * entries' strings or records.
 *
 * A shard is `{"packages": {fn: record}, "packages.conda": {fn: record}}` (plus `"removed"` when
 * given), records exactly as `writeRepodata` writes them, keys sorted at every depth, then one
 * zstd frame with its content size; its name is the sha256 of those compressed bytes. The index
 * is `{"info": {base_url, shards_base_url, subdir[, created_at]}, "version": 1, "shards": {name:
 * bin32}}` with names sorted. Same input and options, same bytes. Throws INVALID_FILENAME for a bad
 * or duplicate filename, INVALID_RECORD when a record's name does not match its filename.
 */
export async function* generateShards(
  subdir: string,
  entries: Entries,
  options: ShardWriterOptions = {},
): AsyncGenerator<ShardFile, Buffer, undefined> {
  const hashEncoding = options.hashEncoding ?? 'bytes';
  const zstd = { level: options.zstdLevel ?? DEFAULT_ZSTD_LEVEL, checksum: options.zstdChecksum ?? false };
  const groups = await groupByPackageName(entries);
  const removed = groupRemoved(options.removed);
  const names = [...groups.keys()].sort(compareFilenames);
  const encoder = new MsgpackEncoder();
  const hashes = new Map<string, Buffer>();

  for (const packageName of names) {
    const group = groups.get(packageName)!;
    const shard: Record<string, unknown> = {
      packages: sectionMap(group.packages, 'packages', packageName, hashEncoding),
      'packages.conda': sectionMap(group.conda, 'packages.conda', packageName, hashEncoding),
    };
    const removedHere = removed.get(packageName);
    if (removedHere !== undefined) shard.removed = removedHere.sort(compareFilenames);
    const bytes = encodeFrame(encoder, shard, zstd);
    const digest = sha256(bytes);
    hashes.set(packageName, digest);
    groups.delete(packageName);
    yield { name: digest.toString('hex'), bytes, packageName };
  }

  // A Map keeps this key order (the order of conda's fixture); plain objects would be sorted.
  const index = new Map<string, unknown>([
    ['info', indexInfo(subdir, options)],
    ['version', SHARD_INDEX_VERSION],
    ['shards', hashes],
  ]);
  return encodeFrame(encoder, index, zstd);
}

/** `generateShards`, collected: the index and every shard file in memory. */
export async function buildShards(
  subdir: string,
  entries: Entries,
  options: ShardWriterOptions = {},
): Promise<BuiltShards> {
  const shards: ShardFile[] = [];
  const generator = generateShards(subdir, entries, options);
  for (;;) {
    const step = await generator.next();
    if (step.done) return { index: step.value, shards };
    shards.push(step.value);
  }
}
