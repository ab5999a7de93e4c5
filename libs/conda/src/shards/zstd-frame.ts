import type { Buffer } from 'node:buffer';
import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { CondaError, CondaErrorCode } from '../errors.ts';

const ZSTD_MAGIC = 0xfd2fb528;
const FRAME_HEADER_MIN = 6;
const BLOCK_HEADER = 3;
const BLOCK_RAW = 0;
const BLOCK_RLE = 1;
const BLOCK_COMPRESSED = 2;
/** zstd never needs a window above 2^31; the format allows 2^41. */
const MAX_WINDOW_LOG = 31;

/** What the header and block headers of a single zstd frame say. */
export interface ZstdFrameInfo {
  /** Bytes the frame occupies, checksum included. */
  frameBytes: number;
  /** Decompressed size declared in the header, when the writer declared one. */
  contentSize: number | undefined;
  /** Memory the decoder must reserve for back-references. */
  windowSize: number;
  hasChecksum: boolean;
}

function malformed(what: string, message: string, cause?: unknown): CondaError {
  return new CondaError(CondaErrorCode.MalformedJson, `${what} is not a valid zstd frame: ${message}`, {
    cause,
  });
}

function readLittleEndian(bytes: Uint8Array, at: number, width: number): number {
  let value = 0;
  for (let i = width - 1; i >= 0; i--) value = value * 256 + bytes[at + i]!;
  return value;
}

/**
 * Reads the frame header and walks the block headers of the zstd frame in `bytes` without
 * decompressing anything. Throws MALFORMED_JSON when the data is not exactly one frame (bad magic,
 * reserved bits, truncated, a skippable frame, a dictionary, or bytes after the frame).
 */
export function inspectZstdFrame(bytes: Uint8Array, what = 'zstd data'): ZstdFrameInfo {
  if (bytes.length < FRAME_HEADER_MIN + BLOCK_HEADER) {
    throw malformed(what, `${bytes.length} bytes is too short for a frame`);
  }
  const magic = readLittleEndian(bytes, 0, 4);
  if (magic !== ZSTD_MAGIC) {
    throw malformed(
      what,
      `magic number is 0x${magic.toString(16).padStart(8, '0')}, expected 0x${ZSTD_MAGIC.toString(16)}`,
    );
  }
  const descriptor = bytes[4]!;
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  const hasChecksum = (descriptor & 0x04) !== 0;
  const dictionaryFlag = descriptor & 0x03;
  if ((descriptor & 0x08) !== 0) throw malformed(what, 'reserved bit of the frame header descriptor is set');
  let at = 5;
  let windowSize = 0;
  if (!singleSegment) {
    const windowDescriptor = bytes[at++]!;
    const windowLog = 10 + (windowDescriptor >> 3);
    if (windowLog > MAX_WINDOW_LOG)
      throw malformed(what, `window log ${windowLog} is beyond ${MAX_WINDOW_LOG}`);
    const base = 2 ** windowLog;
    windowSize = base + (base / 8) * (windowDescriptor & 0x07);
  }
  if (dictionaryFlag !== 0) throw malformed(what, 'the frame needs a dictionary, which shards never use');
  const fcsWidth = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (at + fcsWidth > bytes.length) throw malformed(what, 'truncated frame header');
  let contentSize: number | undefined;
  if (fcsWidth > 0) {
    contentSize = readLittleEndian(bytes, at, fcsWidth) + (fcsWidth === 2 ? 256 : 0);
    at += fcsWidth;
  }
  if (singleSegment) windowSize = contentSize!;

  for (;;) {
    if (at + BLOCK_HEADER > bytes.length)
      throw malformed(what, `truncated at byte ${at}: block header missing`);
    const header = readLittleEndian(bytes, at, BLOCK_HEADER);
    at += BLOCK_HEADER;
    const last = (header & 1) === 1;
    const type = (header >> 1) & 0x03;
    const size = header >>> 3;
    if (type === BLOCK_RLE) at += 1;
    else if (type === BLOCK_RAW || type === BLOCK_COMPRESSED) at += size;
    else throw malformed(what, `block at byte ${at - BLOCK_HEADER} has the reserved block type 3`);
    if (at > bytes.length)
      throw malformed(what, `truncated: a block runs past the end (${bytes.length} bytes)`);
    if (last) break;
  }
  if (hasChecksum) at += 4;
  if (at > bytes.length) throw malformed(what, 'truncated: content checksum missing');
  if (at !== bytes.length) {
    throw malformed(
      what,
      `${bytes.length - at} bytes follow the first frame (expected exactly one frame: conda reads only the first)`,
    );
  }
  return { frameBytes: at, contentSize, windowSize, hasChecksum };
}

function ceilLog2(value: number): number {
  return Math.max(10, Math.ceil(Math.log2(Math.max(1, value))));
}

/**
 * Decompresses exactly one zstd frame, refusing bombs: a declared size above `maxBytes` is refused
 * before any work, an undeclared size stops as soon as the output passes `maxBytes`, and a window
 * larger than `maxBytes` (or 8 MiB, the window of level 19, whichever is larger) is refused, since
 * the decoder would allocate it up front. Throws LIMIT_EXCEEDED or MALFORMED_JSON.
 */
export function decompressZstdFrame(bytes: Uint8Array, maxBytes: number, what = 'zstd data'): Buffer {
  const frame = inspectZstdFrame(bytes, what);
  if (frame.contentSize !== undefined && frame.contentSize > maxBytes) {
    throw new CondaError(
      CondaErrorCode.LimitExceeded,
      `${what} declares ${frame.contentSize} decompressed bytes, above the limit of ${maxBytes}`,
    );
  }
  const maxWindowLog = Math.min(MAX_WINDOW_LOG, Math.max(23, ceilLog2(maxBytes)));
  if (frame.windowSize > 2 ** maxWindowLog) {
    throw new CondaError(
      CondaErrorCode.LimitExceeded,
      `${what} needs a ${frame.windowSize}-byte zstd window, above the limit of ${2 ** maxWindowLog}`,
    );
  }
  let output: Buffer;
  try {
    output = zstdDecompressSync(bytes, {
      maxOutputLength: Math.max(1, frame.contentSize ?? maxBytes),
      params: { [constants.ZSTD_d_windowLogMax]: maxWindowLog },
    });
  } catch (cause) {
    if ((cause as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new CondaError(
        CondaErrorCode.LimitExceeded,
        frame.contentSize === undefined
          ? `${what} decompresses to more than the limit of ${maxBytes} bytes`
          : `${what} decompresses to more than the ${frame.contentSize} bytes its header declares`,
        { cause },
      );
    }
    throw malformed(what, (cause as Error).message, cause);
  }
  if (frame.contentSize !== undefined && output.length !== frame.contentSize) {
    throw malformed(
      what,
      `decompressed to ${output.length} bytes, but the header declares ${frame.contentSize}`,
    );
  }
  return output;
}

export interface ZstdFrameOptions {
  /** zstd level (default 3, like conda-index and python-zstandard). */
  level?: number;
  /** Append a content checksum (default false: the shard's sha256 name already covers its bytes). */
  checksum?: boolean;
}

/**
 * Compresses `bytes` in one call into one zstd frame that declares its content size, the way
 * python-zstandard's `ZstdCompressor().compress()` does (conda-index, conda's shard fixtures).
 * With the same level and no checksum the output is byte-identical to theirs.
 */
export function compressZstdFrame(bytes: Uint8Array, options: ZstdFrameOptions = {}): Buffer {
  return zstdCompressSync(bytes, {
    params: {
      [constants.ZSTD_c_compressionLevel]: options.level ?? 3,
      [constants.ZSTD_c_checksumFlag]: options.checksum ? 1 : 0,
      [constants.ZSTD_c_contentSizeFlag]: 1,
    },
  });
}
