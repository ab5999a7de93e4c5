/** zstd data whose frame structure is broken (found while splitting it into frames). */
export class ZstdFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZstdFrameError';
  }
}

const FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const DICTIONARY_ID_BYTES = [0, 1, 2, 4] as const;
const BLOCK_TYPE_RLE = 1;
const BLOCK_TYPE_RESERVED = 3;

function u32(data: Uint8Array, at: number): number {
  return (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0;
}

/** Byte length of the frame starting at `start` (RFC 8878 §3.1.1), from its header and block headers. */
function frameLength(data: Uint8Array, start: number): number {
  const need = (at: number, bytes: number, what: string): void => {
    if (at + bytes > data.byteLength) throw new ZstdFrameError(`zstd data is truncated (in the ${what})`);
  };
  need(start, 5, 'frame header');
  const descriptor = data[start + 4]!;
  const contentSizeFlag = descriptor >>> 6;
  const singleSegment = (descriptor >>> 5) & 1;
  if (descriptor & 0x08) throw new ZstdFrameError('zstd frame header has the reserved bit set');
  const hasChecksum = (descriptor >>> 2) & 1;
  const contentSizeBytes = [singleSegment, 2, 4, 8][contentSizeFlag]!;
  let at = start + 5 + (singleSegment ? 0 : 1) + DICTIONARY_ID_BYTES[descriptor & 3]! + contentSizeBytes;
  for (;;) {
    need(at, 3, 'block header');
    const header = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16);
    const last = header & 1;
    const type = (header >>> 1) & 3;
    const size = header >>> 3;
    if (type === BLOCK_TYPE_RESERVED) throw new ZstdFrameError('zstd block has the reserved type');
    at += 3 + (type === BLOCK_TYPE_RLE ? 1 : size);
    need(at, 0, 'block data');
    if (last) break;
  }
  at += hasChecksum ? 4 : 0;
  need(at, 0, 'frame checksum');
  return at - start;
}

/**
 * Splits zstd data into its frames (skippable frames dropped). Node 24's zstd decompressor stops
 * after the first frame and silently drops the rest (nodejs/node#64741), while the format, the
 * zstd CLI and conda's readers decode every frame, so each frame is decompressed on its own.
 */
export function splitZstdFrames(data: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let at = 0;
  while (at < data.byteLength) {
    if (at + 4 > data.byteLength) throw new ZstdFrameError('zstd data ends in the middle of a frame magic');
    const magic = u32(data, at);
    if (magic === FRAME_MAGIC) {
      const length = frameLength(data, at);
      frames.push(data.subarray(at, at + length));
      at += length;
    } else if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (at + 8 > data.byteLength) throw new ZstdFrameError('zstd data is truncated (in a skippable frame)');
      at += 8 + u32(data, at + 4);
      if (at > data.byteLength) throw new ZstdFrameError('zstd data is truncated (in a skippable frame)');
    } else {
      throw new ZstdFrameError(`not zstd data (bad frame magic at byte ${at})`);
    }
  }
  if (frames.length === 0) throw new ZstdFrameError('zstd data holds no frame');
  return frames;
}
