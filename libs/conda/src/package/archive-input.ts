import { Buffer } from 'node:buffer';
import { createHash, type Hash } from 'node:crypto';
import { archiveLimitExceeded, invalidArchive } from './archive-error.ts';
import type { ArchiveDigests, ArchiveSource } from './types.ts';

/**
 * The archive's bytes, read once, hashed on the way. A decoder may stop reading early (once the
 * info files are found) without closing the source: `drain()` then hashes the rest, so md5,
 * sha256 and size always describe the whole file.
 */
export class ArchiveInput {
  readonly #iterator: AsyncIterator<Uint8Array>;
  readonly #what: string;
  readonly #maxBytes: number;
  readonly #md5: Hash = createHash('md5');
  readonly #sha256: Hash = createHash('sha256');
  #size = 0;
  #ended = false;

  constructor(source: ArchiveSource, what: string, maxBytes: number) {
    this.#iterator = (source instanceof Uint8Array ? once(source) : source)[Symbol.asyncIterator]();
    this.#what = what;
    this.#maxBytes = maxBytes;
  }

  /** The next chunk (already hashed), or null at the end of the archive. */
  async next(): Promise<Uint8Array | null> {
    if (this.#ended) return null;
    const result = await this.#iterator.next();
    if (result.done) {
      this.#ended = true;
      return null;
    }
    const chunk: unknown = result.value;
    if (!(chunk instanceof Uint8Array)) {
      throw invalidArchive(this.#what, `the source yielded a ${typeof chunk}, expected bytes (Uint8Array)`);
    }
    this.#size += chunk.byteLength;
    if (this.#size > this.#maxBytes) {
      throw archiveLimitExceeded(this.#what, `is larger than the ${this.#maxBytes}-byte limit`);
    }
    this.#md5.update(chunk);
    this.#sha256.update(chunk);
    return chunk;
  }

  /**
   * The chunks from here on. Leaving the loop early does not close the source (the caller still
   * has to `drain()` or `close()`).
   */
  async *chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    for (let chunk = await this.next(); chunk !== null; chunk = await this.next()) yield chunk;
  }

  /** Every remaining byte, in one buffer (for the zip central directory, which sits at the end). */
  async collect(): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    for (let chunk = await this.next(); chunk !== null; chunk = await this.next()) chunks.push(chunk);
    if (chunks.length === 1) return chunks[0]!;
    return Buffer.concat(chunks);
  }

  /** Reads (and hashes) the rest of the archive without keeping it. */
  async drain(): Promise<void> {
    while ((await this.next()) !== null) {}
  }

  /** Closes the source (after an error): a file stream is released, an HTTP body aborted. */
  async close(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await this.#iterator.return?.();
  }

  /** md5/sha256/size of the whole archive. Only meaningful once the input is drained. */
  digests(): ArchiveDigests {
    return { md5: this.#md5.digest('hex'), sha256: this.#sha256.digest('hex'), size: this.#size };
  }
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
  yield bytes;
}
