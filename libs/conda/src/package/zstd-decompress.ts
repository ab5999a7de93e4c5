import { createZstdDecompress } from 'node:zlib';
import { splitZstdFrames } from './zstd-frames.ts';

/**
 * Decompresses zstd data (every frame, see `splitZstdFrames`) with Node's built-in zstd, yielding
 * chunks as the consumer asks for them: stopping the loop destroys the decompressor, so a bomb is
 * never expanded past what the consumer accepted. Corrupt or truncated data rejects with Node's
 * zlib error or a `ZstdFrameError`.
 */
export async function* decompressZstd(data: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
  for (const frame of splitZstdFrames(data)) {
    const zstd = createZstdDecompress();
    zstd.end(frame);
    try {
      for await (const chunk of zstd) yield chunk as Uint8Array;
    } finally {
      zstd.destroy();
    }
  }
}
