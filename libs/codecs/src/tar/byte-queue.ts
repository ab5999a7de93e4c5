import { Buffer } from 'node:buffer';
import { CodecError, CodecErrorCode } from '../errors.ts';

function truncated(missing: number): CodecError {
  return new CodecError(
    CodecErrorCode.MalformedData,
    `tar data is truncated: it ends ${missing} bytes before the end of the current record`,
  );
}

/**
 * Exact-size reads over a stream of decompressed chunks, with a cap on the total pulled: the one
 * place a decompression bomb is stopped, whatever the codec.
 */
export class ByteQueue {
  readonly #iterator: AsyncIterator<Uint8Array>;
  readonly #maxBytes: number;
  #chunk: Uint8Array = new Uint8Array(0);
  #offset = 0;
  #pulled = 0;
  #ended = false;

  constructor(source: AsyncIterable<Uint8Array>, maxBytes: number) {
    this.#iterator = source[Symbol.asyncIterator]();
    this.#maxBytes = maxBytes;
  }

  /** Decompressed bytes pulled from the source so far. */
  get pulled(): number {
    return this.#pulled;
  }

  /** Loads the next non-empty chunk; false at the end of the source. */
  async #load(): Promise<boolean> {
    while (!this.#ended) {
      const result = await this.#iterator.next();
      if (result.done) {
        this.#ended = true;
        return false;
      }
      const chunk = result.value;
      if (chunk.byteLength === 0) continue;
      this.#pulled += chunk.byteLength;
      if (this.#pulled > this.#maxBytes) {
        throw new CodecError(
          CodecErrorCode.LimitExceeded,
          `tar data is larger than the ${this.#maxBytes}-byte limit`,
        );
      }
      this.#chunk = chunk;
      this.#offset = 0;
      return true;
    }
    return false;
  }

  /**
   * Exactly `length` bytes, or null when the source ends right here (before any of them).
   * Throws MALFORMED_DATA when it ends part-way.
   */
  async read(length: number): Promise<Uint8Array | null> {
    if (this.#offset === this.#chunk.byteLength && !(await this.#load())) return null;
    if (this.#chunk.byteLength - this.#offset >= length) {
      const bytes = this.#chunk.subarray(this.#offset, this.#offset + length);
      this.#offset += length;
      return bytes;
    }
    const parts: Uint8Array[] = [];
    let missing = length;
    while (missing > 0) {
      if (this.#offset === this.#chunk.byteLength && !(await this.#load())) {
        throw truncated(missing);
      }
      const take = Math.min(missing, this.#chunk.byteLength - this.#offset);
      parts.push(this.#chunk.subarray(this.#offset, this.#offset + take));
      this.#offset += take;
      missing -= take;
    }
    return Buffer.concat(parts, length);
  }

  /** Between 1 and `max` bytes, whatever the current chunk holds; null at the end of the source. */
  async readSome(max: number): Promise<Uint8Array | null> {
    if (this.#offset === this.#chunk.byteLength && !(await this.#load())) return null;
    const take = Math.min(max, this.#chunk.byteLength - this.#offset);
    const bytes = this.#chunk.subarray(this.#offset, this.#offset + take);
    this.#offset += take;
    return bytes;
  }

  /** Skips exactly `length` bytes (they are still decompressed, and counted). */
  async skip(length: number): Promise<void> {
    let missing = length;
    while (missing > 0) {
      if (this.#offset === this.#chunk.byteLength && !(await this.#load())) {
        throw truncated(missing);
      }
      const take = Math.min(missing, this.#chunk.byteLength - this.#offset);
      this.#offset += take;
      missing -= take;
    }
  }

  /** Stops the source (e.g. the decompressor) early. */
  async close(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await this.#iterator.return?.();
  }
}
