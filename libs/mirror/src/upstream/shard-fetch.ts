import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CondaError, MAX_SHARD_BYTES, shardFilename, verifyShard } from '@condasync/conda';
import { redactUrl } from '../config/channel-url.ts';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ChannelSource } from './channel-source.ts';
import type { UpstreamHttp } from './http-client.ts';
import { withRetries } from './retry.ts';
import { checkSize, readCapped } from './shard-index-fetch.ts';

export interface ShardFetchOptions {
  http: UpstreamHttp;
  /** Worker-local folder; shards are cached under `<cacheDir>/shards/<sha256>.msgpack.zst`. */
  cacheDir: string;
  retries: number;
  deadlineMs: number;
  minBytesPerSecond: number;
  signal?: AbortSignal;
  logger: Logger;
}

export interface FetchedShard {
  bytes: Buffer;
  /** Read from the local cache, no request made. */
  fromCache: boolean;
  /** Times the upstream sent bytes that did not hash to the name (0 or 1 on success). */
  corruptAnswers: number;
}

/**
 * Where a channel's shards live: `info.shards_base_url` resolved against the index URL (CEP 16),
 * `""` meaning next to the index. Only the channel's own kind of URL is followed (http(s) for an
 * http channel, file: for a file channel), so an index cannot point the mirror at a local file.
 */
export function shardsBaseUrl(channel: ChannelSource, indexUrl: string, shardsBase: string): URL {
  const relative = shardsBase === '' ? './' : shardsBase.endsWith('/') ? shardsBase : `${shardsBase}/`;
  let base: URL;
  try {
    base = new URL(relative, indexUrl);
  } catch (error) {
    throw new MirrorError(
      MirrorErrorCode.RepodataInvalid,
      `${redactUrl(indexUrl)}: info.shards_base_url ${JSON.stringify(shardsBase)} is not a URL`,
      { cause: error },
    );
  }
  const allowed = channel.kind === 'file' ? ['file:'] : ['http:', 'https:'];
  if (!allowed.includes(base.protocol)) {
    throw new MirrorError(
      MirrorErrorCode.RepodataInvalid,
      `${redactUrl(indexUrl)}: info.shards_base_url ${JSON.stringify(shardsBase)} resolves to a ${base.protocol} URL; expected ${allowed.join(' or ')}`,
    );
  }
  return base;
}

/**
 * Fetches the shard named `sha256` (hex of its compressed bytes) from `base`, or reads it from the
 * content-addressed local cache, which is never revalidated: the name pins the bytes. Bytes that
 * do not hash to the name are refetched once (a flipped bit on the way), then refused with
 * CHECKSUM_MISMATCH.
 */
export async function fetchShard(
  channel: ChannelSource,
  base: URL,
  sha256: string,
  options: ShardFetchOptions,
): Promise<FetchedShard> {
  const url = new URL(shardFilename(sha256), base).href;
  const display = redactUrl(url);
  if (channel.kind === 'file') {
    const bytes = await readFile(fileURLToPath(url)).catch((error: NodeJS.ErrnoException) => {
      throw new MirrorError(MirrorErrorCode.UpstreamHttp, `${display}: ${error.message}`, { cause: error });
    });
    checkSize(bytes.byteLength, MAX_SHARD_BYTES, display, 'shard');
    if (!hashesTo(sha256, bytes)) throw corrupt(display, sha256, bytes, 1);
    return { bytes, fromCache: false, corruptAnswers: 0 };
  }

  const dir = join(options.cacheDir, 'shards');
  const cachePath = join(dir, shardFilename(sha256));
  const cachedBytes = await readFile(cachePath).catch(() => null);
  if (cachedBytes !== null) {
    if (hashesTo(sha256, cachedBytes)) return { bytes: cachedBytes, fromCache: true, corruptAnswers: 0 };
    options.logger.warn({ shard: sha256 }, 'cached shard is corrupt on local disk; fetching it again');
    await rm(cachePath, { force: true });
  }

  let corruptAnswers = 0;
  let bytes: Buffer | null = null;
  for (let attempt = 1; bytes === null; attempt++) {
    const fetched = await download(url, display, options);
    if (hashesTo(sha256, fetched)) {
      bytes = fetched;
    } else {
      corruptAnswers++;
      if (attempt >= 2) throw corrupt(display, sha256, fetched, attempt);
      options.logger.warn(
        { upstream: display, bytes: fetched.byteLength },
        'shard does not hash to its name; fetching it once more',
      );
    }
  }
  await mkdir(dir, { recursive: true });
  const temp = `${cachePath}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temp, bytes);
  await rename(temp, cachePath);
  return { bytes, fromCache: false, corruptAnswers };
}

/** One GET of a shard, retried on transient faults (timeouts, resets, 5xx). */
function download(url: string, display: string, options: ShardFetchOptions): Promise<Buffer> {
  return withRetries(
    async () => {
      const response = await options.http.request(url, {
        deadlineMs: options.deadlineMs,
        minBytesPerSecond: options.minBytesPerSecond,
        signal: options.signal,
      });
      return readCapped(response.body, MAX_SHARD_BYTES, display, 'shard');
    },
    {
      retries: options.retries,
      signal: options.signal,
      onRetry: ({ attempt, delayMs, error }) =>
        options.logger.warn({ attempt, delayMs, err: error.message }, 'shard fetch failed, retrying'),
    },
  );
}

function hashesTo(sha256: string, bytes: Uint8Array): boolean {
  try {
    verifyShard(sha256, bytes);
    return true;
  } catch (error) {
    if (error instanceof CondaError) return false;
    throw error;
  }
}

function corrupt(display: string, sha256: string, bytes: Uint8Array, attempts: number): MirrorError {
  const actual = createHash('sha256').update(bytes).digest('hex');
  return new MirrorError(
    MirrorErrorCode.ChecksumMismatch,
    `${display}: shard bytes hash to ${actual}, expected ${sha256} (its name), on ${attempts} attempt${attempts === 1 ? '' : 's'}; refusing it`,
  );
}
