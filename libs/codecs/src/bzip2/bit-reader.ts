import { Buffer } from 'node:buffer';
import { CodecError, CodecErrorCode } from '../errors.ts';

export function truncatedBzip2(): CodecError {
  return new CodecError(CodecErrorCode.MalformedData, 'bzip2 data is truncated (it ends inside a block)');
}

/**
 * A bit reader's position: `bytes[position..]` not read yet, and the low `bitCount` bits of
 * `bitBuffer` taken from before it but not consumed.
 */
export interface Bzip2BitState {
  readonly bytes: Uint8Array;
  position: number;
  bitBuffer: number;
  bitCount: number;
}

/**
 * Reads big-endian bit fields (bzip2 packs blocks back to back, not byte-aligned) from input that
 * arrives in chunks. Chunks wait in `#pending` and are joined only by `compact()`, once per block,
 * so a block is never copied more than once.
 */
export class Bzip2BitReader {
  #bytes: Uint8Array = new Uint8Array(0);
  #position = 0;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** Bits already taken from `#bytes` but not consumed; the low `#bitCount` bits are valid. */
  #bitBuffer = 0;
  #bitCount = 0;

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.byteLength;
  }

  /** Whole bytes not yet consumed (buffered bits excluded). */
  get availableBytes(): number {
    return this.#bytes.byteLength - this.#position + this.#pendingBytes;
  }

  /** True when no unread bit is left, buffered bits included. */
  get isEmpty(): boolean {
    return this.#bitCount === 0 && this.availableBytes === 0;
  }

  /** Joins the pending chunks after the unread rest, so `read` sees them. */
  compact(): void {
    if (this.#pending.length === 0) return;
    const rest = this.#bytes.subarray(this.#position);
    this.#bytes = Buffer.concat([rest, ...this.#pending]);
    this.#position = 0;
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  /**
   * Reads `count` bits (1..24) as an unsigned number. The decoder buffers a whole block's worth of
   * input (or all that is left) before decoding it, so running out here means truncated data.
   */
  read(count: number): number {
    while (this.#bitCount < count) {
      if (this.#position >= this.#bytes.byteLength) {
        throw truncatedBzip2();
      }
      this.#bitBuffer = (this.#bitBuffer << 8) | this.#bytes[this.#position++]!;
      this.#bitCount += 8;
    }
    this.#bitCount -= count;
    return (this.#bitBuffer >>> this.#bitCount) & ((1 << count) - 1);
  }

  readBit(): number {
    return this.read(1);
  }

  read32(): number {
    return ((this.read(16) << 16) | this.read(16)) >>> 0;
  }

  /** The reader's position, for a hot loop to keep in local variables (see `decodeBlock`). */
  saveState(): Bzip2BitState {
    return {
      bytes: this.#bytes,
      position: this.#position,
      bitBuffer: this.#bitBuffer,
      bitCount: this.#bitCount,
    };
  }

  /** Continues from where a hot loop left off (`bytes` must be the array `saveState` gave). */
  restoreState(state: Bzip2BitState): void {
    this.#position = state.position;
    this.#bitBuffer = state.bitBuffer;
    this.#bitCount = state.bitCount;
  }

  /** Skips to the next byte boundary (bzip2 pads a stream's last byte with zero bits). */
  alignToByte(): void {
    this.#bitCount -= this.#bitCount % 8;
  }
}
