import { Buffer } from 'node:buffer';
import { CodecError, CodecErrorCode } from '../errors.ts';

const TWO_POW_32 = 2 ** 32;

function unencodable(path: string, what: string): CodecError {
  return new CodecError(
    CodecErrorCode.Unencodable,
    `msgpack encoder: value at "${path}" is ${what}, which it cannot write (expected a string, finite number, boolean, null, bytes, array, Map or object)`,
  );
}

/** UTF-16 code-unit order: what Python's `sorted()` gives for the ASCII keys of repodata. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A msgpack encoder for the value kinds sharded repodata uses: map, array, str, bin, int, float64,
 * bool and nil. Every value gets the smallest encoding, as msgpack-python's `packb` (what
 * conda-index and conda's shard fixtures use) writes it: fixint/uint8…uint64 for non-negative
 * integers, fixint/int8…int64 for negative ones, fixstr/str8/str16/str32 for strings (str8 is
 * used, i.e. `use_bin_type=True`), bin8/16/32 for bytes, float64 for every non-integer.
 *
 * Key order is deterministic: plain objects are written with their keys sorted by
 * code-unit order (the order of conda-index's sorted-key JSON, which is where shard records come
 * from); a `Map` is written in its iteration order, for the few places where a fixed non-sorted
 * order is wanted (the shard index: `info`, `version`, `shards`). `undefined` members are skipped.
 *
 * One instance reuses its buffer across calls, so encoding 30 000 shards allocates little.
 */
export class MsgpackEncoder {
  #buffer: Buffer = Buffer.allocUnsafe(64 * 1024);
  #length = 0;

  /**
   * Encodes `value` and returns a view of the encoder's own buffer: valid only until the next
   * call. Copy it (or use `encodeMsgpack`) to keep it.
   */
  encodeView(value: unknown): Buffer {
    this.#length = 0;
    this.#value(value, '$');
    return this.#buffer.subarray(0, this.#length);
  }

  #reserve(bytes: number): void {
    const needed = this.#length + bytes;
    if (needed <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
  }

  #byte(value: number): void {
    this.#reserve(1);
    this.#buffer[this.#length++] = value;
  }

  #head(byte: number, value: number, width: 1 | 2 | 4): void {
    this.#reserve(1 + width);
    const buffer = this.#buffer;
    buffer[this.#length] = byte;
    if (width === 1) buffer[this.#length + 1] = value;
    else if (width === 2) buffer.writeUInt16BE(value, this.#length + 1);
    else buffer.writeUInt32BE(value, this.#length + 1);
    this.#length += 1 + width;
  }

  /** Header of a str/bin/array/map: `fix` is the fix-format base (or -1 when there is none). */
  #sized(length: number, fix: number, fixMax: number, byte8: number, byte16: number, byte32: number): void {
    if (fix >= 0 && length <= fixMax) this.#byte(fix | length);
    else if (byte8 >= 0 && length <= 0xff) this.#head(byte8, length, 1);
    else if (length <= 0xffff) this.#head(byte16, length, 2);
    else this.#head(byte32, length, 4);
  }

  #value(value: unknown, path: string): void {
    switch (typeof value) {
      case 'string':
        this.#string(value);
        return;
      case 'number':
        this.#number(value, path);
        return;
      case 'boolean':
        this.#byte(value ? 0xc3 : 0xc2);
        return;
      case 'object':
        if (value === null) this.#byte(0xc0);
        else if (value instanceof Uint8Array) this.#bytes(value);
        else if (Array.isArray(value)) this.#array(value, path);
        else if (value instanceof Map) this.#map(value, path);
        else this.#object(value as Record<string, unknown>, path);
        return;
      default:
        throw unencodable(path, `a ${typeof value}`);
    }
  }

  #string(text: string): void {
    // ASCII fast path (nearly every string in repodata): the UTF-8 length is the string length,
    // so the header is known before the bytes are written.
    const length = text.length;
    const header = length < 32 ? 1 : length <= 0xff ? 2 : length <= 0xffff ? 3 : 5;
    this.#reserve(header + length);
    const buffer = this.#buffer;
    const start = this.#length + header;
    for (let i = 0; i < length; i++) {
      const unit = text.charCodeAt(i);
      if (unit >= 0x80) {
        this.#utf8String(text);
        return;
      }
      buffer[start + i] = unit;
    }
    this.#sized(length, 0xa0, 31, 0xd9, 0xda, 0xdb);
    this.#length += length;
  }

  #utf8String(text: string): void {
    const bytes = Buffer.byteLength(text, 'utf8');
    this.#sized(bytes, 0xa0, 31, 0xd9, 0xda, 0xdb);
    this.#reserve(bytes);
    this.#length += this.#buffer.write(text, this.#length, 'utf8');
  }

  #bytes(bytes: Uint8Array): void {
    this.#sized(bytes.length, -1, 0, 0xc4, 0xc5, 0xc6);
    this.#reserve(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  #number(value: number, path: string): void {
    if (!Number.isFinite(value)) throw unencodable(path, String(value));
    if (!Number.isSafeInteger(value)) {
      this.#reserve(9);
      this.#buffer[this.#length] = 0xcb;
      this.#buffer.writeDoubleBE(value, this.#length + 1);
      this.#length += 9;
      return;
    }
    if (value >= 0) {
      if (value <= 0x7f) this.#byte(value);
      else if (value <= 0xff) this.#head(0xcc, value, 1);
      else if (value <= 0xffff) this.#head(0xcd, value, 2);
      else if (value < TWO_POW_32) this.#head(0xce, value, 4);
      else this.#word64(0xcf, value);
    } else if (value >= -32) {
      this.#byte(value & 0xff);
    } else if (value >= -0x80) {
      this.#reserve(2);
      this.#buffer[this.#length] = 0xd0;
      this.#buffer.writeInt8(value, this.#length + 1);
      this.#length += 2;
    } else if (value >= -0x8000) {
      this.#reserve(3);
      this.#buffer[this.#length] = 0xd1;
      this.#buffer.writeInt16BE(value, this.#length + 1);
      this.#length += 3;
    } else if (value >= -0x80000000) {
      this.#reserve(5);
      this.#buffer[this.#length] = 0xd2;
      this.#buffer.writeInt32BE(value, this.#length + 1);
      this.#length += 5;
    } else {
      this.#word64(0xd3, value);
    }
  }

  /** uint64 or int64 of a safe integer (two's complement for negatives). */
  #word64(byte: number, value: number): void {
    this.#reserve(9);
    this.#buffer[this.#length] = byte;
    this.#buffer.writeBigInt64BE(BigInt.asIntN(64, BigInt(value)), this.#length + 1);
    this.#length += 9;
  }

  #array(items: readonly unknown[], path: string): void {
    this.#sized(items.length, 0x90, 15, -1, 0xdc, 0xdd);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item === undefined) throw unencodable(`${path}[${i}]`, 'undefined');
      this.#value(item, `${path}[${i}]`);
    }
  }

  #map(map: ReadonlyMap<unknown, unknown>, path: string): void {
    let size = 0;
    for (const [key, member] of map) {
      if (typeof key !== 'string') throw unencodable(`${path} key`, `a ${typeof key}`);
      if (member !== undefined) size++;
    }
    this.#sized(size, 0x80, 15, -1, 0xde, 0xdf);
    for (const [key, member] of map) {
      if (member === undefined) continue;
      this.#string(key as string);
      this.#value(member, `${path}.${key as string}`);
    }
  }

  #object(object: Readonly<Record<string, unknown>>, path: string): void {
    const keys = Object.keys(object);
    if (!isSorted(keys)) keys.sort(compareKeys);
    let size = 0;
    for (const key of keys) if (object[key] !== undefined) size++;
    this.#sized(size, 0x80, 15, -1, 0xde, 0xdf);
    for (const key of keys) {
      const member = object[key];
      if (member === undefined) continue;
      this.#string(key);
      this.#value(member, `${path}.${key}`);
    }
  }
}

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return false;
  return true;
}

/** Encodes one value into a fresh Buffer (see `MsgpackEncoder` for the exact format). */
export function encodeMsgpack(value: unknown): Buffer {
  return Buffer.from(new MsgpackEncoder().encodeView(value));
}
