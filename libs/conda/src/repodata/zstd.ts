import type { Buffer } from 'node:buffer';
import { constants, createZstdCompress, type ZstdCompress } from 'node:zlib';

export interface ZstdOptions {
  /** zstd level (default 3). 19 is ~300× slower for ~18 % smaller output (perf-reliability §3.5). */
  level?: number;
}

export const DEFAULT_ZSTD_LEVEL = 3;

/**
 * A zstd compressing stream (Node's built-in zstd) that writes one frame with a content checksum,
 * which conda, mamba and rattler all read.
 */
export function createZstdCompressor(options: ZstdOptions = {}): ZstdCompress {
  return createZstdCompress({
    params: {
      [constants.ZSTD_c_compressionLevel]: options.level ?? DEFAULT_ZSTD_LEVEL,
      [constants.ZSTD_c_checksumFlag]: 1,
    },
  });
}

/** Resolves once the compressor has consumed `chunk`; rejects if the stream closes first. */
function writeChunk(zstd: ZstdCompress, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error('zstd compressor closed'));
    zstd.once('close', onClose);
    zstd.write(chunk, (error) => {
      zstd.off('close', onClose);
      if (error) reject(error);
      else resolve();
    });
  });
}

/**
 * Compresses a stream of chunks (e.g. `writeRepodata` output) into exactly one zstd frame, yielded
 * in chunks. Errors from the source surface here; stopping early closes the source.
 *
 * Each chunk is written only after the previous one was consumed, and `end()` is called only
 * then: Node 24's zstd stream ends the frame on the last chunk when `end()` comes while that chunk
 * is still queued, and then ends it again on flush, which appends a second, empty frame.
 */
export async function* compressZstd(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ZstdOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  const zstd = createZstdCompressor(options);
  const pumping = (async () => {
    try {
      for await (const chunk of source) await writeChunk(zstd, chunk);
      zstd.end();
    } catch (error) {
      zstd.destroy(error as Error);
    }
  })();
  try {
    for await (const chunk of zstd) yield chunk as Buffer;
  } finally {
    zstd.destroy();
    await pumping;
  }
}
