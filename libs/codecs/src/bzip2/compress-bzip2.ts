import { CodecError, CodecErrorCode } from '../errors.ts';
import { BitWriter } from './bit-writer.ts';
import { combineStreamCrc, updateCrcRepeated } from './crc.ts';
import { encodeBlock } from './encode-block.ts';
import { END_MAGIC_HIGH, END_MAGIC_LOW } from './format.ts';

export interface Bzip2Options {
  /** 1–9: the block size in units of 100 kB, as `bzip2 -1` … `-9` (default 9, as bzip2 and Python). */
  level?: number;
}

export const DEFAULT_BZIP2_LEVEL = 9;

function alreadyEnded(): CodecError {
  return new CodecError(
    CodecErrorCode.InvalidOption,
    'the bzip2 encoder already ended; expected no more input',
  );
}

/** bzip2 keeps each block's run-length-coded bytes this far under level × 100 000. */
const BLOCK_HEADROOM = 19;
/** Most bytes one run adds to a block: four copies and a count. */
const LONGEST_CODED_RUN = 5;
/** Longest run stage one codes at once (four copies plus a count of up to 251). */
const LONGEST_RUN = 255;
/** Input handed to the encoder per step of `compressBzip2`, so that it yields between blocks. */
const FEED_BYTES = 64 * 1024;

/**
 * A bzip2 encoder in pure TypeScript (Node has none): bytes go in with `write`, compressed bytes
 * come out of `write` and `end` as blocks fill. One bzip2 stream; memory stays at a few times the
 * block size however long the input. Each block is CPU-bound work (roughly 0.1 s per 100 kB).
 */
export class Bzip2Encoder {
  readonly #capacity: number;
  readonly #block: Uint8Array;
  readonly #out = new BitWriter();
  #blockLength = 0;
  #blockCrc = 0xffffffff;
  #streamCrc = 0;
  #runByte = -1;
  #runLength = 0;
  #ended = false;

  constructor(options: Bzip2Options = {}) {
    const level = options.level ?? DEFAULT_BZIP2_LEVEL;
    if (!Number.isInteger(level) || level < 1 || level > 9) {
      throw new CodecError(
        CodecErrorCode.InvalidOption,
        `bzip2 level must be an integer from 1 to 9, got ${level}`,
      );
    }
    this.#capacity = level * 100_000 - BLOCK_HEADROOM;
    this.#block = new Uint8Array(this.#capacity);
    this.#out.write(24, 0x425a68); // "BZh"
    this.#out.write(8, 0x30 + level);
  }

  /** Takes more input; returns the compressed bytes completed so far (often none). */
  write(chunk: Uint8Array): Uint8Array {
    if (this.#ended) throw alreadyEnded();
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === this.#runByte && this.#runLength < LONGEST_RUN) {
        this.#runLength++;
        continue;
      }
      this.#flushRun();
      this.#runByte = byte;
      this.#runLength = 1;
    }
    return this.#out.take();
  }

  /** Ends the stream; returns the rest of the compressed bytes. */
  end(): Uint8Array {
    if (this.#ended) throw alreadyEnded();
    this.#ended = true;
    this.#flushRun();
    this.#endBlock();
    this.#out.write(24, END_MAGIC_HIGH);
    this.#out.write(24, END_MAGIC_LOW);
    this.#out.write32(this.#streamCrc);
    this.#out.padToByte();
    return this.#out.take();
  }

  // Stage one: runs of 4–255 equal bytes become four copies and a count. A run never straddles
  // two blocks, so each block decodes (and CRC-checks) on its own.
  #flushRun(): void {
    const length = this.#runLength;
    if (length === 0) return;
    if (this.#blockLength + LONGEST_CODED_RUN > this.#capacity) this.#endBlock();
    const byte = this.#runByte;
    this.#blockCrc = updateCrcRepeated(this.#blockCrc, byte, length);
    const block = this.#block;
    if (length < 4) {
      for (let i = 0; i < length; i++) block[this.#blockLength++] = byte;
    } else {
      block.fill(byte, this.#blockLength, this.#blockLength + 4);
      block[this.#blockLength + 4] = length - 4;
      this.#blockLength += LONGEST_CODED_RUN;
    }
    this.#runLength = 0;
  }

  #endBlock(): void {
    if (this.#blockLength === 0) return;
    const crc = ~this.#blockCrc >>> 0;
    encodeBlock(this.#out, this.#block, this.#blockLength, crc);
    this.#streamCrc = combineStreamCrc(this.#streamCrc, crc);
    this.#blockLength = 0;
    this.#blockCrc = 0xffffffff;
  }
}

/** bzip2-compresses `data` in one call. */
export function compressBzip2Sync(data: Uint8Array, options: Bzip2Options = {}): Uint8Array {
  const encoder = new Bzip2Encoder(options);
  const head = encoder.write(data);
  const tail = encoder.end();
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/**
 * bzip2-compresses a stream of chunks (e.g. `writeRepodata` output) into one bzip2 stream,
 * yielded as it is made. Chunks are fed in at most 64 KiB at a time, so the generator yields
 * between blocks and other work on the event loop gets its turn.
 */
export async function* compressBzip2(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: Bzip2Options = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const encoder = new Bzip2Encoder(options);
  for await (const chunk of source) {
    for (let start = 0; start < chunk.length; start += FEED_BYTES) {
      const out = encoder.write(chunk.subarray(start, start + FEED_BYTES));
      if (out.length > 0) yield out;
    }
  }
  yield encoder.end();
}
