import { Buffer } from 'node:buffer';
import { CodecError, CodecErrorCode } from '../errors.ts';
import { CACHED_KEY, cachedKey, SHORT_STRING, shortAscii } from './short-strings.ts';

/** Bounds for decoding msgpack that came from the network. */
export interface MsgpackLimits {
  /** Deepest nesting of arrays and maps (default 64; a shard nests 5 deep). */
  maxDepth?: number;
  /** Most items in one array or members in one map (default 1,000,000; conda-forge has ~35 k names). */
  maxContainerLength?: number;
  /** Longest single str or bin, in bytes (default 1 MiB). */
  maxStringBytes?: number;
}

const DEFAULT_LIMITS: Required<MsgpackLimits> = {
  maxDepth: 64,
  maxContainerLength: 1_000_000,
  maxStringBytes: 1024 * 1024,
};

/**
 * Decodes exactly one msgpack value that fills `bytes`. Supports what shards use: nil, bool, ints
 * (as numbers; an integer beyond ±2^53 is refused because JSON and JS cannot hold it exactly),
 * float32/64, str (UTF-8, checked), bin (as a Buffer copy), arrays, and maps with str keys (as
 * plain objects; `__proto__` becomes an own key). Ext types, non-str keys, duplicate keys,
 * invalid UTF-8, truncation and trailing bytes are MALFORMED_DATA; exceeding a limit is
 * LIMIT_EXCEEDED. A declared length is
 * checked against the bytes left before anything is allocated.
 */
export function decodeMsgpack(bytes: Uint8Array, limits: MsgpackLimits = {}, what = 'msgpack'): unknown {
  const reader = new MsgpackReader(bytes, { ...DEFAULT_LIMITS, ...definedOnly(limits) }, what);
  const value = reader.value(0);
  reader.expectEnd();
  return value;
}

function definedOnly(limits: MsgpackLimits): MsgpackLimits {
  const out: MsgpackLimits = {};
  for (const [key, value] of Object.entries(limits)) {
    if (value !== undefined) out[key as keyof MsgpackLimits] = value;
  }
  return out;
}

class MsgpackReader {
  readonly #bytes: Buffer;
  readonly #limits: Required<MsgpackLimits>;
  readonly #what: string;
  readonly #utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  #at = 0;

  constructor(bytes: Uint8Array, limits: Required<MsgpackLimits>, what: string) {
    this.#bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#limits = limits;
    this.#what = what;
  }

  #malformed(offset: number, message: string, cause?: unknown): CodecError {
    return new CodecError(
      CodecErrorCode.MalformedData,
      `${this.#what} is not valid msgpack at byte ${offset}: ${message}`,
      { cause },
    );
  }

  #limit(offset: number, message: string): CodecError {
    return new CodecError(CodecErrorCode.LimitExceeded, `${this.#what} at byte ${offset}: ${message}`);
  }

  expectEnd(): void {
    if (this.#at !== this.#bytes.length) {
      throw this.#malformed(
        this.#at,
        `expected the end of the data after one value, found ${this.#bytes.length - this.#at} more bytes`,
      );
    }
  }

  /** Checks that `count` bytes remain and returns the offset they start at. */
  #take(count: number, offset: number, what: string): number {
    const start = this.#at;
    if (count > this.#bytes.length - start) {
      throw this.#malformed(
        offset,
        `${what} needs ${count} bytes but only ${this.#bytes.length - start} remain (truncated data or a bogus length)`,
      );
    }
    this.#at = start + count;
    return start;
  }

  #uint(width: 1 | 2 | 4, offset: number): number {
    const at = this.#take(width, offset, 'a length or number');
    if (width === 1) return this.#bytes[at]!;
    if (width === 2) return this.#bytes.readUInt16BE(at);
    return this.#bytes.readUInt32BE(at);
  }

  #int64(offset: number, signed: boolean): number {
    const at = this.#take(8, offset, 'a 64-bit integer');
    const value = signed ? this.#bytes.readBigInt64BE(at) : this.#bytes.readBigUInt64BE(at);
    const number = Number(value);
    if (!Number.isSafeInteger(number)) {
      throw this.#limit(offset, `integer ${value} is beyond ±2^53 and cannot be represented exactly`);
    }
    return number;
  }

  value(depth: number): unknown {
    const offset = this.#at;
    const byte = this.#bytes[this.#take(1, offset, 'a value')]!;
    if (byte <= 0x7f) return byte;
    if (byte >= 0xe0) return byte - 0x100;
    if (byte >= 0xa0 && byte <= 0xbf) return this.#string(byte & 0x1f, offset);
    if (byte >= 0x90 && byte <= 0x9f) return this.#array(byte & 0x0f, depth, offset);
    if (byte >= 0x80 && byte <= 0x8f) return this.#map(byte & 0x0f, depth, offset);
    switch (byte) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.#bin(this.#uint(1, offset), offset);
      case 0xc5:
        return this.#bin(this.#uint(2, offset), offset);
      case 0xc6:
        return this.#bin(this.#uint(4, offset), offset);
      case 0xca:
        return this.#bytes.readFloatBE(this.#take(4, offset, 'a float32'));
      case 0xcb:
        return this.#bytes.readDoubleBE(this.#take(8, offset, 'a float64'));
      case 0xcc:
        return this.#uint(1, offset);
      case 0xcd:
        return this.#uint(2, offset);
      case 0xce:
        return this.#uint(4, offset);
      case 0xcf:
        return this.#int64(offset, false);
      case 0xd0:
        return this.#bytes.readInt8(this.#take(1, offset, 'an int8'));
      case 0xd1:
        return this.#bytes.readInt16BE(this.#take(2, offset, 'an int16'));
      case 0xd2:
        return this.#bytes.readInt32BE(this.#take(4, offset, 'an int32'));
      case 0xd3:
        return this.#int64(offset, true);
      case 0xd9:
        return this.#string(this.#uint(1, offset), offset);
      case 0xda:
        return this.#string(this.#uint(2, offset), offset);
      case 0xdb:
        return this.#string(this.#uint(4, offset), offset);
      case 0xdc:
        return this.#array(this.#uint(2, offset), depth, offset);
      case 0xdd:
        return this.#array(this.#uint(4, offset), depth, offset);
      case 0xde:
        return this.#map(this.#uint(2, offset), depth, offset);
      case 0xdf:
        return this.#map(this.#uint(4, offset), depth, offset);
      default:
        // 0xc1 is never used; 0xc7-0xc9 and 0xd4-0xd8 are ext types, which shards do not use.
        throw this.#malformed(
          offset,
          `unsupported type byte 0x${byte.toString(16)} (expected nil, bool, int, float, str, bin, array or map)`,
        );
    }
  }

  #checkStringLength(length: number, offset: number): void {
    if (length > this.#limits.maxStringBytes) {
      throw this.#limit(
        offset,
        `a str/bin of ${length} bytes exceeds the limit of ${this.#limits.maxStringBytes}`,
      );
    }
  }

  #string(length: number, offset: number): string {
    this.#checkStringLength(length, offset);
    const at = this.#take(length, offset, 'a str');
    const bytes = this.#bytes;
    // Repodata strings are nearly all short ASCII: for those a JS loop beats a TextDecoder call
    // several times over, and there is nothing to validate.
    if (length <= SHORT_STRING) {
      const text = shortAscii(bytes, at, length);
      if (text !== null) return text;
    }
    try {
      return this.#utf8.decode(bytes.subarray(at, at + length));
    } catch (cause) {
      throw this.#malformed(offset, 'a str is not valid UTF-8', cause);
    }
  }

  #bin(length: number, offset: number): Buffer {
    this.#checkStringLength(length, offset);
    const at = this.#take(length, offset, 'a bin');
    return Buffer.from(this.#bytes.subarray(at, at + length));
  }

  #container(length: number, depth: number, offset: number, kind: string): void {
    if (depth + 1 > this.#limits.maxDepth) {
      throw this.#limit(offset, `nesting deeper than ${this.#limits.maxDepth} levels`);
    }
    if (length > this.#limits.maxContainerLength) {
      throw this.#limit(
        offset,
        `${kind} of ${length} entries exceeds the limit of ${this.#limits.maxContainerLength}`,
      );
    }
    // Each item takes at least one byte (two for a map member), so a count above what is left is
    // a lie; refusing it here keeps a 5-byte header from allocating a 4-billion-slot array.
    const minimum = kind === 'map' ? 2 * length : length;
    if (minimum > this.#bytes.length - this.#at) {
      throw this.#malformed(
        offset,
        `${kind} declares ${length} entries but only ${this.#bytes.length - this.#at} bytes remain`,
      );
    }
  }

  #array(length: number, depth: number, offset: number): unknown[] {
    this.#container(length, depth, offset, 'array');
    const items = new Array<unknown>(length);
    for (let i = 0; i < length; i++) items[i] = this.value(depth + 1);
    return items;
  }

  /** A map key: a fixstr goes through the key cache, anything else through `value`. */
  #key(depth: number): unknown {
    const at = this.#at;
    const byte = this.#bytes[at];
    if (byte !== undefined && byte >= 0xa0 && byte <= 0xbf) {
      const length = byte & 0x1f;
      if (length <= CACHED_KEY && at + 1 + length <= this.#bytes.length) {
        const key = cachedKey(this.#bytes, at + 1, length);
        if (key !== null) {
          this.#at = at + 1 + length;
          return key;
        }
      }
    }
    return this.value(depth + 1);
  }

  #map(length: number, depth: number, offset: number): Record<string, unknown> {
    this.#container(length, depth, offset, 'map');
    const object: Record<string, unknown> = {};
    for (let i = 0; i < length; i++) {
      const keyOffset = this.#at;
      const key = this.#key(depth);
      if (typeof key !== 'string') {
        throw this.#malformed(keyOffset, `map key is a ${describe(key)}, expected a str`);
      }
      if (Object.hasOwn(object, key)) {
        throw this.#malformed(keyOffset, `duplicate map key ${JSON.stringify(key).slice(0, 80)}`);
      }
      const member = this.value(depth + 1);
      if (key === '__proto__') {
        Object.defineProperty(object, key, {
          value: member,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        object[key] = member;
      }
    }
    return object;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'nil';
  if (Buffer.isBuffer(value)) return 'bin';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'map' : typeof value;
}
