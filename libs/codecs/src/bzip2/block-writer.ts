import { BZIP2_CRC_TABLE as CRC_TABLE } from './crc.ts';
import type { Bzip2Block } from './decode-block.ts';

/**
 * Walks a decoded block's inverse-BWT links and undoes the initial run-length coding (four equal
 * bytes, then a count of further copies), a buffer at a time. Output is produced only as fast as
 * it is asked for, so a block that expands 45-fold never sits in memory.
 */
export class Bzip2BlockWriter {
  readonly #tt: Int32Array;
  readonly #storedCrc: number;
  #remaining: number;
  #position: number;
  #previous = -1;
  #runLength = 0;
  #pendingCopies = 0;
  #crc = 0xffffffff;

  constructor(tt: Int32Array, block: Bzip2Block) {
    this.#tt = tt;
    this.#storedCrc = block.storedCrc;
    this.#remaining = block.length;
    this.#position = tt[block.origPtr]! >>> 8;
  }

  get done(): boolean {
    return this.#remaining === 0 && this.#pendingCopies === 0;
  }

  /** Fills `out` from the start; returns how many bytes were written (0 only when done). */
  fill(out: Uint8Array): number {
    const tt = this.#tt;
    let written = 0;
    let crc = this.#crc;
    while (written < out.length) {
      if (this.#pendingCopies > 0) {
        const byte = this.#previous;
        const count = Math.min(this.#pendingCopies, out.length - written);
        out.fill(byte, written, written + count);
        for (let i = 0; i < count; i++) crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!;
        written += count;
        this.#pendingCopies -= count;
        continue;
      }
      if (this.#remaining === 0) break;
      const entry = tt[this.#position]!;
      this.#position = entry >>> 8;
      this.#remaining--;
      const byte = entry & 0xff;
      if (this.#runLength === 4) {
        // After four equal bytes comes the count of further copies; then a fresh run starts.
        this.#pendingCopies = byte;
        this.#runLength = 0;
        continue;
      }
      if (byte === this.#previous) this.#runLength++;
      else this.#runLength = 1;
      this.#previous = byte;
      out[written++] = byte;
      crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!;
    }
    this.#crc = crc;
    return written;
  }

  /** True when the bytes written match the block's stored CRC (call once done). */
  get crcMatches(): boolean {
    return ~this.#crc >>> 0 === this.#storedCrc;
  }

  get crc(): number {
    return ~this.#crc >>> 0;
  }
}
