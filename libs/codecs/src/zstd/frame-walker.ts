import { CodecError, CodecErrorCode } from '../errors.ts';

const FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const FRAME_HEADER_MIN = 6;
const BLOCK_HEADER = 3;
const BLOCK_RAW = 0;
const BLOCK_RLE = 1;
const BLOCK_COMPRESSED = 2;
/** zstd never needs a window above 2^31; the format allows 2^41. */
export const MAX_WINDOW_LOG = 31;

/** What the header and block headers of one zstd frame say (RFC 8878 §3.1.1). */
export interface ZstdFrameInfo {
  /** Where the frame starts in the data. */
  offset: number;
  /** Bytes the frame occupies, checksum included. */
  frameBytes: number;
  /** Decompressed size declared in the header, when the writer declared one. */
  contentSize: number | undefined;
  /** Memory the decoder must reserve for back-references. */
  windowSize: number;
  hasChecksum: boolean;
  /** The frame names a dictionary (which nothing we read uses). */
  needsDictionary: boolean;
}

export function malformedZstd(what: string, problem: string, cause?: unknown): CodecError {
  return new CodecError(
    CodecErrorCode.MalformedData,
    `${what} is not valid zstd data: ${problem}`,
    cause === undefined ? undefined : { cause },
  );
}

function readLittleEndian(bytes: Uint8Array, at: number, width: number): number {
  let value = 0;
  for (let i = width - 1; i >= 0; i--) value = value * 256 + bytes[at + i]!;
  return value;
}

/** Walks the frame at `start` (its magic already checked) through its block headers, decompressing nothing. */
function walkFrame(bytes: Uint8Array, start: number, what: string): ZstdFrameInfo {
  if (start + FRAME_HEADER_MIN > bytes.length) {
    throw malformedZstd(what, `truncated frame header at byte ${start}`);
  }
  const descriptor = bytes[start + 4]!;
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  const hasChecksum = (descriptor & 0x04) !== 0;
  const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 0x03]!;
  if ((descriptor & 0x08) !== 0) {
    throw malformedZstd(what, `the frame header at byte ${start} has its reserved bit set`);
  }
  let at = start + 5;
  let windowSize = 0;
  if (!singleSegment) {
    const windowDescriptor = bytes[at++]!;
    const windowLog = 10 + (windowDescriptor >> 3);
    if (windowLog > MAX_WINDOW_LOG) {
      throw malformedZstd(what, `window log ${windowLog} is beyond ${MAX_WINDOW_LOG}`);
    }
    const base = 2 ** windowLog;
    windowSize = base + (base / 8) * (windowDescriptor & 0x07);
  }
  at += dictionaryIdBytes;
  const fcsWidth = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (at + fcsWidth > bytes.length) throw malformedZstd(what, `truncated frame header at byte ${start}`);
  let contentSize: number | undefined;
  if (fcsWidth > 0) {
    contentSize = readLittleEndian(bytes, at, fcsWidth) + (fcsWidth === 2 ? 256 : 0);
    at += fcsWidth;
  }
  if (singleSegment) windowSize = contentSize!;

  for (;;) {
    if (at + BLOCK_HEADER > bytes.length)
      throw malformedZstd(what, `truncated at byte ${at}: block header missing`);
    const header = readLittleEndian(bytes, at, BLOCK_HEADER);
    at += BLOCK_HEADER;
    const last = (header & 1) === 1;
    const type = (header >> 1) & 0x03;
    const size = header >>> 3;
    if (type === BLOCK_RLE) at += 1;
    else if (type === BLOCK_RAW || type === BLOCK_COMPRESSED) at += size;
    else throw malformedZstd(what, `block at byte ${at - BLOCK_HEADER} has the reserved block type 3`);
    if (at > bytes.length)
      throw malformedZstd(what, `truncated: a block runs past the end (${bytes.length} bytes)`);
    if (last) break;
  }
  if (hasChecksum) at += 4;
  if (at > bytes.length) throw malformedZstd(what, 'truncated: content checksum missing');
  return {
    offset: start,
    frameBytes: at - start,
    contentSize,
    windowSize,
    hasChecksum,
    needsDictionary: dictionaryIdBytes > 0,
  };
}

/**
 * Every data frame of `bytes` (skippable frames are stepped over), read from the frame and block
 * headers alone. Throws MALFORMED_DATA for anything that is not a whole sequence of frames: a bad
 * magic, reserved bits, truncation, or stray bytes after the last frame.
 */
export function walkZstdFrames(bytes: Uint8Array, what = 'input'): ZstdFrameInfo[] {
  const frames: ZstdFrameInfo[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) {
      throw malformedZstd(what, `${bytes.length - at} stray bytes at byte ${at}, expected a frame magic`);
    }
    const magic = readLittleEndian(bytes, at, 4);
    if (magic === FRAME_MAGIC) {
      const frame = walkFrame(bytes, at, what);
      frames.push(frame);
      at += frame.frameBytes;
    } else if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (at + 8 > bytes.length) throw malformedZstd(what, 'truncated in a skippable frame');
      at += 8 + readLittleEndian(bytes, at + 4, 4);
      if (at > bytes.length) throw malformedZstd(what, 'truncated in a skippable frame');
    } else {
      throw malformedZstd(
        what,
        `magic number at byte ${at} is 0x${magic.toString(16).padStart(8, '0')}, expected 0x${FRAME_MAGIC.toString(16)}`,
      );
    }
  }
  if (frames.length === 0) throw malformedZstd(what, 'it holds no frame');
  return frames;
}

/**
 * The one frame that fills `bytes`. Throws MALFORMED_DATA when the data is not exactly one frame
 * (bad magic, reserved bits, truncated, a skippable frame, or bytes after the frame: conda reads
 * only the first frame, so anything after it would mean one thing to conda and another to us),
 * UNSUPPORTED when the frame needs a dictionary.
 */
export function inspectZstdFrame(bytes: Uint8Array, what = 'input'): ZstdFrameInfo {
  if (bytes.length < FRAME_HEADER_MIN + BLOCK_HEADER) {
    throw malformedZstd(what, `${bytes.length} bytes is too short for a frame`);
  }
  const magic = readLittleEndian(bytes, 0, 4);
  if (magic !== FRAME_MAGIC) {
    throw malformedZstd(
      what,
      `magic number is 0x${magic.toString(16).padStart(8, '0')}, expected 0x${FRAME_MAGIC.toString(16)}`,
    );
  }
  const frame = walkFrame(bytes, 0, what);
  if (frame.needsDictionary) {
    throw new CodecError(
      CodecErrorCode.Unsupported,
      `${what}: the zstd frame needs a dictionary, expected none`,
    );
  }
  if (frame.frameBytes !== bytes.length) {
    throw malformedZstd(
      what,
      `${bytes.length - frame.frameBytes} bytes follow the first frame (expected exactly one frame: conda reads only the first)`,
    );
  }
  return frame;
}
