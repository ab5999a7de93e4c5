import { Buffer } from 'node:buffer';
import { canonicalRecordJson, type PackageRecordJson } from '@condasync/conda';
import type { ChannelSource } from '../upstream/channel-source.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const MD5_HEX = /^[0-9a-f]{32}$/;
const HAS_SHA256 = 1;
const HAS_MD5 = 2;

/**
 * Where planned records keep their bytes: 4 MiB buffers outside the JS heap, filled one after the
 * other. The heap then holds small objects only, so the garbage collector neither traces nor
 * copies 150+ MB of record text while a conda-forge subdir is planned, and the heap does not grow
 * its slack in proportion. A buffer is freed once no record in it is referenced.
 */
class RecordBytes {
  static readonly #CHUNK_BYTES = 4 * 1024 * 1024;
  #chunk: Buffer = Buffer.allocUnsafeSlow(0);
  #used = 0;

  /** A buffer with `length` free bytes at `offset`, which the caller now owns. */
  reserve(length: number): { chunk: Buffer; offset: number } {
    if (this.#used + length > this.#chunk.length) {
      this.#chunk = Buffer.allocUnsafeSlow(Math.max(RecordBytes.#CHUNK_BYTES, length));
      this.#used = 0;
    }
    const offset = this.#used;
    this.#used += length;
    return { chunk: this.#chunk, offset };
  }
}

const recordBytes = new RecordBytes();

/**
 * A record chosen for publication and the channel it comes from, held compactly: its canonical
 * JSON (the exact bytes repodata.json will list, what staging writes) and its hashes as bytes in a
 * shared buffer, plus the fields planning reads. A conda-forge subdir holds 300–500 k of these
 * through a plan; as parsed objects they took ~3× the memory and much of the garbage collector's
 * time (BENCHMARKS.md, "Planning"). `record` parses the JSON again on each access: read the
 * fields here when you can.
 */
export class PlannedRecord {
  readonly size: number;
  readonly channel: ChannelSource;
  /** Position of `channel` in the config's `channels` (workers look the URL up by it). */
  readonly channelIndex: number;
  readonly #chunk: Buffer;
  readonly #offset: number;
  readonly #jsonLength: number;
  readonly #hashes: number;
  /** Hashes that are not lower-case hex (never from validated repodata), kept as given. */
  readonly #oddHashes: { sha256: string | undefined; md5: string | undefined } | undefined;

  constructor(record: PackageRecordJson, channel: ChannelSource, channelIndex: number) {
    // ASCII only (toAsciiJson), so one byte per character.
    const json = canonicalRecordJson(record);
    const { sha256, md5 } = record;
    const odd =
      (sha256 !== undefined && !SHA256_HEX.test(sha256)) || (md5 !== undefined && !MD5_HEX.test(md5));
    const hashes = odd ? 0 : (sha256 === undefined ? 0 : HAS_SHA256) | (md5 === undefined ? 0 : HAS_MD5);
    const length = json.length + (hashes & HAS_SHA256 ? 32 : 0) + (hashes & HAS_MD5 ? 16 : 0);
    const { chunk, offset } = recordBytes.reserve(length);
    let at = offset + chunk.write(json, offset, 'latin1');
    if (hashes & HAS_SHA256) at += chunk.write(sha256!, at, 'hex');
    if (hashes & HAS_MD5) chunk.write(md5!, at, 'hex');
    this.#chunk = chunk;
    this.#offset = offset;
    this.#jsonLength = json.length;
    this.#hashes = hashes;
    this.#oddHashes = odd ? { sha256, md5 } : undefined;
    this.size = record.size;
    this.channel = channel;
    this.channelIndex = channelIndex;
  }

  /** `canonicalRecordJson` of the upstream record. */
  get json(): string {
    return this.#chunk.toString('latin1', this.#offset, this.#offset + this.#jsonLength);
  }

  get sha256(): string | undefined {
    if (this.#oddHashes !== undefined) return this.#oddHashes.sha256;
    if (!(this.#hashes & HAS_SHA256)) return undefined;
    const at = this.#offset + this.#jsonLength;
    return this.#chunk.toString('hex', at, at + 32);
  }

  get md5(): string | undefined {
    if (this.#oddHashes !== undefined) return this.#oddHashes.md5;
    if (!(this.#hashes & HAS_MD5)) return undefined;
    const at = this.#offset + this.#jsonLength + (this.#hashes & HAS_SHA256 ? 32 : 0);
    return this.#chunk.toString('hex', at, at + 16);
  }

  /** The record as repodata.json will list it (`fn`, `url`, ... dropped; `depends` always a list). */
  get record(): PackageRecordJson {
    return JSON.parse(this.json) as PackageRecordJson;
  }
}
