import { Buffer } from 'node:buffer';
import { CodecError, CodecErrorCode } from '../errors.ts';
import { Bzip2BitReader } from './bit-reader.ts';
import { Bzip2BlockWriter } from './block-writer.ts';
import { combineStreamCrc } from './crc.ts';
import { decodeBlock } from './decode-block.ts';
import { BLOCK_MAGIC_HIGH, BLOCK_MAGIC_LOW, END_MAGIC_HIGH, END_MAGIC_LOW } from './format.ts';

function hex(value: number, digits = 8): string {
  return value.toString(16).padStart(digits, '0');
}

function corrupt(problem: string): CodecError {
  return new CodecError(CodecErrorCode.MalformedData, problem);
}

const OUTPUT_CHUNK_BYTES = 64 * 1024;
/**
 * A block's first chunk: a package reader usually needs only the info files at the start of the
 * first block and then stops, so the output grows from here (doubling) rather than walking 64 KiB
 * of links nobody reads.
 */
const FIRST_CHUNK_BYTES = 8 * 1024;

/**
 * Most compressed bytes one block can take: every byte of the block adds at least one symbol of at
 * most 20 bits, plus selectors and tables (< 64 KiB). Waiting for this much input (or the end)
 * before decoding a block means a block never runs out of input half-way unless truncated.
 */
function maxCompressedBlockBytes(blockSize: number): number {
  return Math.ceil((blockSize * 20) / 8) + 64 * 1024;
}

/**
 * Decompresses a bzip2 stream (or several concatenated, as `bzip2 -d` accepts), yielding chunks of
 * 8 KiB growing to 64 KiB in each block. Pure JavaScript, streaming: memory stays at one block (≤ 3.6 MB of links plus
 * ≤ 2.3 MB of input) however large the archive. Stopping the loop early stops decoding at once.
 * Throws a CodecError: MALFORMED_DATA for corrupt or truncated data (CRCs are checked),
 * UNSUPPORTED for randomised blocks (bzip2 before 0.9.5).
 */
export async function* decompressBzip2(
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  const bits = new Bzip2BitReader();
  let ended = false;
  const fill = async (bytes: number): Promise<void> => {
    while (!ended && bits.availableBytes < bytes) {
      const result = await iterator.next();
      if (result.done) ended = true;
      else bits.push(result.value);
    }
    bits.compact();
  };

  let tt: Int32Array | undefined;
  let streams = 0;
  try {
    for (;;) {
      await fill(4);
      if (streams > 0 && ended && bits.isEmpty) return;
      const header = [bits.read(8), bits.read(8), bits.read(8), bits.read(8)];
      const [b, z, h, level = 0] = header;
      if (b !== 0x42 || z !== 0x5a || h !== 0x68 || level < 0x31 || level > 0x39) {
        const found = Buffer.from(header).toString('hex');
        throw corrupt(
          streams === 0
            ? `not bzip2 data: the first bytes are 0x${found}, expected "BZh1".."BZh9"`
            : `unexpected data after the bzip2 stream (0x${found}), expected another "BZh" stream or the end`,
        );
      }
      const blockSize = (level - 0x30) * 100_000;
      if (tt?.length !== blockSize) {
        if (tt !== undefined) releaseBlockArray(tt);
        tt = borrowBlockArray(blockSize);
      }
      const blockArray = tt;
      let combinedCrc = 0;
      for (;;) {
        await fill(maxCompressedBlockBytes(blockSize));
        const high = bits.read(24);
        const low = bits.read(24);
        if (high === END_MAGIC_HIGH && low === END_MAGIC_LOW) {
          const storedCrc = bits.read32();
          if (storedCrc !== combinedCrc)
            throw corrupt(
              `bzip2 stream CRC mismatch (computed ${hex(combinedCrc)}, stored ${hex(storedCrc)})`,
            );
          bits.alignToByte();
          break;
        }
        if (high !== BLOCK_MAGIC_HIGH || low !== BLOCK_MAGIC_LOW) {
          throw corrupt(
            `bad bzip2 block header 0x${hex(high, 6)}${hex(low, 6)}, expected the block magic 0x314159265359`,
          );
        }
        const block = decodeBlock(bits, blockArray);
        const writer = new Bzip2BlockWriter(blockArray, block);
        for (
          let chunkBytes = FIRST_CHUNK_BYTES;
          !writer.done;
          chunkBytes = Math.min(2 * chunkBytes, OUTPUT_CHUNK_BYTES)
        ) {
          const out = new Uint8Array(chunkBytes);
          const written = writer.fill(out);
          yield out.subarray(0, written);
        }
        if (!writer.crcMatches)
          throw corrupt(
            `bzip2 block CRC mismatch (computed ${hex(writer.crc)}, stored ${hex(block.storedCrc)})`,
          );
        combinedCrc = combineStreamCrc(combinedCrc, writer.crc);
      }
      streams++;
    }
  } finally {
    if (tt !== undefined) releaseBlockArray(tt);
    await iterator.return?.();
  }
}

/**
 * Block arrays (up to 3.6 MB each at level 9) kept for the next stream: a mirror reads thousands of
 * small .tar.bz2 archives, and allocating one per archive made garbage collection a tenth of an
 * import's time. Eight per size cover the archives an import reads at once (29 MB at most, kept).
 */
const spareBlockArrays = new Map<number, Int32Array[]>();
const SPARES_PER_SIZE = 8;

function borrowBlockArray(size: number): Int32Array {
  return spareBlockArrays.get(size)?.pop() ?? new Int32Array(size);
}

function releaseBlockArray(array: Int32Array): void {
  const spares = spareBlockArrays.get(array.length) ?? [];
  if (spares.length < SPARES_PER_SIZE) spares.push(array);
  spareBlockArrays.set(array.length, spares);
}
