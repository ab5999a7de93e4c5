import { Buffer } from 'node:buffer';

/** Why a ByteQueue could not deliver. */
export const ByteQueueEnd = {
  /** The source ended before the requested bytes. */
  Truncated: 'truncated',
  /** Taking the bytes would pass `maxBytes`. */
  LimitExceeded: 'limit',
} as const;
export type ByteQueueEnd = (typeof ByteQueueEnd)[keyof typeof ByteQueueEnd];

export class ByteQueueError extends Error {
  readonly reason: ByteQueueEnd;
  constructor(reason: ByteQueueEnd, message: string) {
    super(message);
    this.name = 'ByteQueueError';
    this.reason = reason;
  }
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
        throw new ByteQueueError(
          ByteQueueEnd.LimitExceeded,
          `more than ${this.#maxBytes} decompressed bytes`,
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
   * Throws Truncated when it ends part-way.
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
        throw new ByteQueueError(ByteQueueEnd.Truncated, `ends ${missing} bytes early`);
      }
      const take = Math.min(missing, this.#chunk.byteLength - this.#offset);
      parts.push(this.#chunk.subarray(this.#offset, this.#offset + take));
      this.#offset += take;
      missing -= take;
    }
    return Buffer.concat(parts, length);
  }

  /** Skips exactly `length` bytes (they are still decompressed, and counted). */
  async skip(length: number): Promise<void> {
    let missing = length;
    while (missing > 0) {
      if (this.#offset === this.#chunk.byteLength && !(await this.#load())) {
        throw new ByteQueueError(ByteQueueEnd.Truncated, `ends ${missing} bytes early`);
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
