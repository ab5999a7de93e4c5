import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CondaError, decodeShardIndex, SHARD_INDEX_FILENAME, type ShardIndex } from '@condasync/conda';
import { redactUrl } from '../config/channel-url.ts';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { type ChannelSource, channelFileUrl } from './channel-source.ts';
import type { UpstreamHttp } from './http-client.ts';
import { withRetries } from './retry.ts';

export interface ShardIndexFetchOptions {
  http: UpstreamHttp;
  /** Worker-local folder for the ETag cache (the same layout as repodata-fetch.ts). */
  cacheDir: string;
  retries: number;
  deadlineMs: number;
  minBytesPerSecond: number;
  /** Refuse an index whose compressed bytes exceed this (the decoder caps the decompressed size). */
  maxIndexBytes: number;
  /** A reset: fetch the index unconditionally and cache the answer afresh. */
  forgetCache?: boolean;
  signal?: AbortSignal;
  logger: Logger;
}

export interface FetchedShardIndex {
  index: ShardIndex;
  /** URL the index was read from (token included): shard URLs resolve against it. */
  url: string;
  /** The same URL with any token redacted, for logs and errors. */
  display: string;
  /** True when the upstream answered 304 and the cached copy was used. */
  notModified: boolean;
}

interface IndexCacheMeta {
  etag?: string;
  lastModified?: string;
  fetchedAt: string;
}

/**
 * Statuses that mean "this channel publishes no shard index here": 404/410, 403 (static hosts such
 * as S3 websites answer 403 for a missing object) and 501 (rattler's fallback signal). 401 is not
 * among them: a bad token must surface, not silently turn into a 300 MB download that fails too.
 */
const ABSENT_STATUSES = [403, 404, 410, 501] as const;

/**
 * Reads `<channel>/<subdir>/repodata_shards.msgpack.zst` and decodes it, revalidating a cached
 * copy with If-None-Match / If-Modified-Since. Returns null when the channel has no index for
 * this subdir. Throws REPODATA_INVALID for an index that is too large or does not decode.
 */
export async function fetchShardIndex(
  channel: ChannelSource,
  subdir: string,
  options: ShardIndexFetchOptions,
): Promise<FetchedShardIndex | null> {
  const url = channelFileUrl(channel, subdir, SHARD_INDEX_FILENAME);
  const display = redactUrl(url);
  if (channel.kind === 'file') {
    const bytes = await readFile(fileURLToPath(url)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
      throw new MirrorError(MirrorErrorCode.UpstreamHttp, `${display}: ${error.message}`, { cause: error });
    });
    if (bytes === null) return null;
    checkSize(bytes.byteLength, options.maxIndexBytes, display, 'shard index');
    return { index: decodeIndex(bytes, subdir, display), url, display, notModified: false };
  }

  const dir = join(
    options.cacheDir,
    'upstream',
    createHash('sha256').update(channel.url).digest('hex').slice(0, 32),
    subdir,
  );
  await mkdir(dir, { recursive: true });
  const bodyPath = join(dir, SHARD_INDEX_FILENAME);
  const metaPath = join(dir, `${SHARD_INDEX_FILENAME}.meta.json`);
  let cached = options.forgetCache ? null : await readCached(metaPath, bodyPath);

  return withRetries(
    async () => {
      const conditional: Record<string, string> = {};
      if (cached?.meta.etag !== undefined) conditional['if-none-match'] = cached.meta.etag;
      if (cached?.meta.lastModified !== undefined)
        conditional['if-modified-since'] = cached.meta.lastModified;
      const response = await options.http.request(url, {
        headers: conditional,
        deadlineMs: options.deadlineMs,
        minBytesPerSecond: options.minBytesPerSecond,
        signal: options.signal,
        acceptStatuses: [304, ...ABSENT_STATUSES],
      });
      if (response.status === 304 && cached !== null) {
        await response.dispose();
        try {
          return { index: decodeIndex(cached.bytes, subdir, display), url, display, notModified: true };
        } catch (error) {
          // The cached copy went bad on disk; forget it so the retry fetches it whole.
          cached = null;
          await rm(metaPath, { force: true });
          throw new MirrorError(MirrorErrorCode.RepodataInvalid, `cached ${display} is unreadable`, {
            cause: error,
            transient: true,
          });
        }
      }
      if (response.status !== 200) {
        // An absent index, or a 304 to a request we did not make conditional (a broken proxy).
        await response.dispose();
        if (response.status === 304) {
          throw new MirrorError(MirrorErrorCode.UpstreamHttp, `${display} answered 304 to a plain GET`, {
            transient: true,
          });
        }
        options.logger.debug({ upstream: display, status: response.status }, 'upstream has no shard index');
        return null;
      }
      const bytes = await readCapped(response.body, options.maxIndexBytes, display, 'shard index');
      const index = decodeIndex(bytes, subdir, display);
      const temp = `${bodyPath}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(temp, bytes);
      await rename(temp, bodyPath);
      const meta: IndexCacheMeta = { fetchedAt: new Date().toISOString() };
      const etag = headerValue(response.headers['etag']);
      const lastModified = headerValue(response.headers['last-modified']);
      if (etag !== undefined) meta.etag = etag;
      if (lastModified !== undefined) meta.lastModified = lastModified;
      await writeFile(metaPath, JSON.stringify(meta));
      return { index, url, display, notModified: false };
    },
    {
      retries: options.retries,
      signal: options.signal,
      onRetry: ({ attempt, delayMs, error }) =>
        options.logger.warn({ attempt, delayMs, err: error.message }, 'shard index fetch failed, retrying'),
    },
  );
}

function decodeIndex(bytes: Uint8Array, subdir: string, display: string): ShardIndex {
  try {
    return decodeShardIndex(bytes, { subdir });
  } catch (error) {
    if (!(error instanceof CondaError)) throw error;
    throw new MirrorError(MirrorErrorCode.RepodataInvalid, `${display}: ${error.message}`, { cause: error });
  }
}

/** Refuses a document over `maxBytes`; `what` names it (`shard index`, `shard`). */
export function checkSize(size: number, maxBytes: number, display: string, what: string): void {
  if (size > maxBytes) {
    throw new MirrorError(
      MirrorErrorCode.RepodataInvalid,
      `${display}: ${what} larger than the ${maxBytes}-byte limit (compressed); refusing it`,
    );
  }
}

/** Collects a response body, refusing it once it passes `maxBytes`. */
export async function readCapped(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
  display: string,
  what: string,
): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    checkSize(total, maxBytes, display, what);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

async function readCached(
  metaPath: string,
  bodyPath: string,
): Promise<{ meta: IndexCacheMeta; bytes: Buffer } | null> {
  try {
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as IndexCacheMeta;
    return { meta, bytes: await readFile(bodyPath) };
  } catch {
    return null;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
