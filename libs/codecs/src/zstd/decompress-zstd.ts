import { createZstdDecompress } from 'node:zlib';
import { CodecError, CodecErrorCode } from '../errors.ts';
import { walkZstdFrames } from './frame-walker.ts';

/**
 * Decompresses zstd data, every frame of it, with Node's built-in zstd, yielding chunks as the
 * consumer asks for them: stopping the loop destroys the decompressor, so a bomb is never
 * expanded past what the consumer accepted.
 *
 * Node 24.22 decodes multi-frame data itself (nodejs/node#64741 is fixed there), so the frames are
 * no longer split here. The frame headers are still walked first (they are a few bytes per 128
 * KiB block): Node's decoder silently stops at stray bytes after a frame, and a truncated or
 * padded file must be refused, not half read. Throws MALFORMED_DATA for broken frame structure
 * and for block data Node's decoder rejects.
 */
export async function* decompressZstd(
  data: Uint8Array,
  what = 'input',
): AsyncGenerator<Uint8Array, void, undefined> {
  walkZstdFrames(data, what);
  const zstd = createZstdDecompress();
  zstd.end(data);
  try {
    for await (const chunk of zstd) yield chunk as Uint8Array;
  } catch (cause) {
    throw new CodecError(
      CodecErrorCode.MalformedData,
      `${what} is corrupt: zstd decoding failed (${(cause as Error).message})`,
      { cause },
    );
  } finally {
    zstd.destroy();
  }
}
