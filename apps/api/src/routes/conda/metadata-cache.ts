import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { ObjectInfo } from '@condasync/storage';

const gzip = promisify(gzipCallback);

/*
 * Channel metadata (repodata and its .zst/.bz2 twins, the shard index, shards, run_exports,
 * channeldata) held in memory with its ETag, so that the hot requests of a channel, 304s and 200s
 * alike, are answered without a round trip to the object store. Another process (a worker, the
 * CLI) publishes into the store: a publish notice marks a channel's entries stale at once, and any
 * entry is checked against the store (a HEAD, then a GET only when the ETag moved) once it is
 * older than the revalidation interval, so a missed notice serves the previous bytes for at most
 * that long. While the store does not answer, a stale entry is still served (stale-if-error): it
 * is the last published state, and a 503 would help no client.
 *
 * Package files use a second instance with a budget of their own (CONDASYNC_PACKAGE_CACHE_BYTES):
 * a package is immutable by name, so holding it spares every request the store round trips (a
 * folder's open, stat, sidecar read, reads and close) that otherwise bound serving throughput.
 */

export interface CachedFile {
  readonly info: ObjectInfo;
  readonly bytes: Buffer;
}

/** What the cache reads the store with; each call runs under the serving deadline. */
export interface MetadataSource {
  head(key: string): Promise<ObjectInfo | null>;
  /** The whole object; null when absent; 'too-large' (and nothing read) past `maxEntryBytes`. */
  read(key: string): Promise<CachedFile | null | 'too-large'>;
}

export interface MetadataCacheOptions {
  /** Bytes of file content (and gzipped twins) kept at most; 0 caches nothing. */
  maxBytes: number;
  /**
   * A single file larger than this is not held (it is streamed instead). Default, and upper
   * bound: a quarter of `maxBytes`, so one file cannot flush the rest.
   */
  maxEntryBytes?: number;
  /** An entry older than this is checked against the store before it is served again. */
  revalidateMs: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface Entry {
  file: CachedFile;
  /** When the store last confirmed this ETag (ms). */
  checkedAt: number;
  /** The gzip representation of a .json file, made on first request. */
  gzipped?: Buffer;
  bytes: number;
}

/** Retry a store that failed a revalidation after this long, serving the entry meanwhile. */
const ERROR_RETRY_MS = 1000;

/** Metadata files, least recently used evicted first, bounded by their bytes. */
export class MetadataCache {
  readonly maxBytes: number;
  /** A single file may take at most this share of the cache; larger ones are streamed. */
  readonly maxEntryBytes: number;
  readonly #revalidateMs: number;
  readonly #now: () => number;
  /** Map order is recency: a hit moves its key to the end. */
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<Entry | null>>();
  /** Keys last seen too large to cache, with when, so they are not re-checked on every request. */
  readonly #oversized = new Map<string, number>();
  #bytes = 0;

  constructor(options: MetadataCacheOptions) {
    this.maxBytes = options.maxBytes;
    this.maxEntryBytes = Math.min(options.maxEntryBytes ?? Infinity, Math.floor(options.maxBytes / 4));
    this.#revalidateMs = options.revalidateMs;
    this.#now = options.now ?? Date.now;
  }

  /** Bytes held now (file contents and gzipped twins). */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The current file at `key`: from memory when fresh, else after checking the store. null when
   * the store has no such object; 'uncached' when it is too large to hold (stream it instead).
   */
  async get(key: string, source: MetadataSource): Promise<CachedFile | null | 'uncached'> {
    const now = this.#now();
    const entry = this.#entries.get(key);
    if (entry !== undefined && now - entry.checkedAt < this.#revalidateMs) {
      this.#touch(key, entry);
      return entry.file;
    }
    const skippedAt = this.#oversized.get(key);
    if (entry === undefined && skippedAt !== undefined && now - skippedAt < this.#revalidateMs) {
      return 'uncached';
    }
    let loading = this.#loading.get(key);
    if (loading === undefined) {
      // Concurrent requests for one key share one store round trip.
      loading = this.#refresh(key, entry, source).finally(() => this.#loading.delete(key));
      this.#loading.set(key, loading);
    }
    const fresh = await loading;
    if (fresh === null) return this.#oversized.has(key) ? 'uncached' : null;
    return fresh.file;
  }

  /** The gzip representation of a cached file, compressed once and kept beside it. */
  async gzipped(key: string, file: CachedFile): Promise<Buffer> {
    const entry = this.#entries.get(key);
    if (entry?.gzipped !== undefined && entry.file === file) return entry.gzipped;
    // Level 1, as the streamed path: fast, and clients that care about bytes fetch .zst anyway.
    const compressed = await gzip(file.bytes, { level: 1 });
    const current = this.#entries.get(key);
    if (current !== undefined && current.file === file && current.gzipped === undefined) {
      current.gzipped = compressed;
      current.bytes += compressed.length;
      this.#bytes += compressed.length;
      this.#evict();
    }
    return compressed;
  }

  /** Marks every entry whose key starts with `prefix` stale: the next request checks the store. */
  invalidate(prefix: string): void {
    for (const [key, entry] of this.#entries) if (key.startsWith(prefix)) entry.checkedAt = -Infinity;
    for (const key of this.#oversized.keys()) if (key.startsWith(prefix)) this.#oversized.delete(key);
  }

  /** Marks every entry stale (after a lost connection to the notices, some may have been missed). */
  invalidateAll(): void {
    this.invalidate('');
  }

  async #refresh(key: string, entry: Entry | undefined, source: MetadataSource): Promise<Entry | null> {
    try {
      if (entry !== undefined) {
        const info = await source.head(key);
        if (info === null) {
          this.#remove(key);
          return null;
        }
        if (info.etag === entry.file.info.etag && info.size === entry.file.info.size) {
          entry.checkedAt = this.#now();
          this.#touch(key, entry);
          return entry;
        }
        if (info.size > this.maxEntryBytes) return this.#skip(key);
      }
      const file = await source.read(key);
      if (file === null) {
        this.#remove(key);
        return null;
      }
      if (file === 'too-large' || file.bytes.length > this.maxEntryBytes) return this.#skip(key);
      return this.#store(key, file);
    } catch (error) {
      if (entry === undefined || !this.#entries.has(key)) throw error;
      // Stale-if-error: the store is away; serve what was last published, and try again soon.
      entry.checkedAt = this.#now() - this.#revalidateMs + ERROR_RETRY_MS;
      return entry;
    }
  }

  #skip(key: string): null {
    this.#remove(key);
    if (this.#oversized.size >= 1024) this.#oversized.clear();
    this.#oversized.set(key, this.#now());
    return null;
  }

  #store(key: string, file: CachedFile): Entry {
    this.#remove(key);
    this.#oversized.delete(key);
    const entry: Entry = { file, checkedAt: this.#now(), bytes: file.bytes.length };
    this.#entries.set(key, entry);
    this.#bytes += entry.bytes;
    this.#evict();
    return entry;
  }

  #touch(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }

  #evict(): void {
    for (const key of this.#entries.keys()) {
      if (this.#bytes <= this.maxBytes) return;
      this.#remove(key);
    }
  }
}
