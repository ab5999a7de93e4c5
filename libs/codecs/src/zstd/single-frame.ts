import type { Buffer } from 'node:buffer';
import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { CodecError, CodecErrorCode } from '../errors.ts';
import { inspectZstdFrame, MAX_WINDOW_LOG, malformedZstd } from './frame-walker.ts';

function ceilLog2(value: number): number {
  return Math.max(10, Math.ceil(Math.log2(Math.max(1, value))));
}

/**
 * Decompresses exactly one zstd frame, refusing bombs: a declared size above `maxBytes` is refused
 * before any work, an undeclared size stops as soon as the output passes `maxBytes`, and a window
 * larger than `maxBytes` (or 8 MiB, the window of level 19, whichever is larger) is refused, since
 * the decoder would allocate it up front. Throws LIMIT_EXCEEDED, MALFORMED_DATA or UNSUPPORTED.
 */
export function decompressZstdFrame(bytes: Uint8Array, maxBytes: number, what = 'input'): Buffer {
  const frame = inspectZstdFrame(bytes, what);
  if (frame.contentSize !== undefined && frame.contentSize > maxBytes) {
    throw new CodecError(
      CodecErrorCode.LimitExceeded,
      `${what} declares ${frame.contentSize} decompressed bytes, above the limit of ${maxBytes}`,
    );
  }
  const maxWindowLog = Math.min(MAX_WINDOW_LOG, Math.max(23, ceilLog2(maxBytes)));
  if (frame.windowSize > 2 ** maxWindowLog) {
    throw new CodecError(
      CodecErrorCode.LimitExceeded,
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
      throw new CodecError(
        CodecErrorCode.LimitExceeded,
        frame.contentSize === undefined
          ? `${what} decompresses to more than the limit of ${maxBytes} bytes`
          : `${what} decompresses to more than the ${frame.contentSize} bytes its header declares`,
        { cause },
      );
    }
    throw malformedZstd(what, (cause as Error).message, cause);
  }
  if (frame.contentSize !== undefined && output.length !== frame.contentSize) {
    throw malformedZstd(
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
