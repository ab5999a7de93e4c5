import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decompressZstd } from '@condasync/conda';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { type ChannelSource, channelFilePath, channelFileUrl } from './channel-source.ts';
import type { UpstreamHttp } from './http-client.ts';
import { withRetries } from './retry.ts';

export type RepodataSource = 'repodata.json' | 'repodata_from_packages.json';

export interface UpstreamFileFetchOptions {
  http: UpstreamHttp;
  /** Local folder for the ETag cache of upstream files (worker-local disk, not the store). */
  cacheDir: string;
  retries: number;
  deadlineMs: number;
  minBytesPerSecond: number;
  /** Refuse a decompressed document larger than this (zstd bombs). */
  maxBytes: number;
  /**
   * The file is optional upstream (run_exports.json): a 403 on the plain variant also means
   * "absent", as static hosts (S3 websites) answer 403 for a missing object.
   */
  optional?: boolean;
  signal?: AbortSignal;
  logger: Logger;
}

export interface RepodataFetchOptions extends UpstreamFileFetchOptions {
  source: RepodataSource;
}

export interface FetchedUpstreamFile {
  /** Local file holding the uncompressed document. */
  path: string;
  /** True when the upstream answered 304 and the cached copy was used. */
  fromCache: boolean;
  /** The exact upstream file read, token redacted (for reports). */
  display: string;
}

export type FetchedRepodata = FetchedUpstreamFile;

interface CacheMeta {
  variant: Variant;
  etag?: string;
  lastModified?: string;
  display: string;
  fetchedAt: string;
}

type Variant = 'zst' | 'json';

/**
 * Fetches a subdir's repodata from an upstream channel, preferring `.zst` (a tenth of the bytes)
 * and revalidating a cached copy with If-None-Match. Returns null when the upstream has no such
 * subdir (404 for every variant), which callers treat as an empty subdir.
 */
export function fetchUpstreamRepodata(
  channel: ChannelSource,
  subdir: string,
  options: RepodataFetchOptions,
): Promise<FetchedRepodata | null> {
  return fetchUpstreamFile(channel, subdir, options.source, options);
}

/**
 * Fetches `<channel>/<subdir>/<filename>` (a JSON document such as repodata.json or
 * run_exports.json), preferring `<filename>.zst` and revalidating a cached copy with
 * If-None-Match. Returns null when the upstream has neither variant (404).
 */
export async function fetchUpstreamFile(
  channel: ChannelSource,
  subdir: string,
  filename: string,
  options: UpstreamFileFetchOptions,
): Promise<FetchedUpstreamFile | null> {
  if (channel.kind === 'file') {
    const path = channelFilePath(channel, subdir, filename);
    const exists = await stat(path).then(
      (s) => s.isFile(),
      () => false,
    );
    return exists ? { path, fromCache: false, display: `${channel.display}/${subdir}/${filename}` } : null;
  }
  const dir = join(
    options.cacheDir,
    'upstream',
    createHash('sha256').update(channel.url).digest('hex').slice(0, 32),
    subdir,
  );
  await mkdir(dir, { recursive: true });
  const bodyPath = join(dir, `${filename}`);
  const metaPath = join(dir, `${filename}.meta.json`);
  const meta = await readMeta(metaPath, bodyPath);
  const variants: Variant[] = meta?.variant === 'json' ? ['json', 'zst'] : ['zst', 'json'];

  return withRetries(
    async () => {
      for (const variant of variants) {
        const file = variant === 'zst' ? `${filename}.zst` : filename;
        const url = channelFileUrl(channel, subdir, file);
        const display = `${channel.display}/${subdir}/${file}`;
        const conditional = meta?.variant === variant && meta.etag !== undefined;
        const response = await options.http.request(url, {
          headers: conditional ? { 'if-none-match': meta.etag as string } : {},
          deadlineMs: options.deadlineMs,
          minBytesPerSecond: options.minBytesPerSecond,
          signal: options.signal,
          // Static hosts (S3 websites) answer 403 for a missing object; only the .zst probe (or an
          // optional file) may be absent, a 403 on repodata.json itself is an error.
          acceptStatuses: variant === 'zst' || options.optional === true ? [304, 403, 404] : [304, 404],
        });
        if (response.status === 304) {
          await response.dispose();
          options.logger.debug(
            { upstream: display },
            `upstream ${filename} unchanged (304), using the cached copy`,
          );
          return { path: bodyPath, fromCache: true, display };
        }
        if (response.status === 403 || response.status === 404) {
          await response.dispose();
          continue;
        }
        await saveBody(response.body, variant, bodyPath, options.maxBytes, display);
        const etag = headerValue(response.headers['etag']);
        const lastModified = headerValue(response.headers['last-modified']);
        const fresh: CacheMeta = { variant, display, fetchedAt: new Date().toISOString() };
        if (etag !== undefined) fresh.etag = etag;
        if (lastModified !== undefined) fresh.lastModified = lastModified;
        await writeFile(metaPath, JSON.stringify(fresh));
        return { path: bodyPath, fromCache: false, display };
      }
      return null;
    },
    {
      retries: options.retries,
      signal: options.signal,
      onRetry: ({ attempt, delayMs, error }) =>
        options.logger.warn(
          { attempt, delayMs, err: error.message },
          `upstream ${filename} fetch failed, retrying`,
        ),
    },
  );
}

async function readMeta(metaPath: string, bodyPath: string): Promise<CacheMeta | null> {
  try {
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as CacheMeta;
    await stat(bodyPath);
    return meta;
  } catch {
    return null;
  }
}

/** Streams the body (decompressing .zst) into a temp file and renames it over the cached copy. */
async function saveBody(
  body: AsyncIterable<Uint8Array>,
  variant: Variant,
  bodyPath: string,
  maxBytes: number,
  display: string,
): Promise<void> {
  const temp = `${bodyPath}.${process.pid}.${Date.now()}.tmp`;
  try {
    // Node's zstd stream stops after the first frame (nodejs/node#64741), and zstd files may hold
    // several: the compressed body (a tenth of the JSON) is collected and decoded frame by frame.
    const source = variant === 'zst' ? decompressZstd(await collect(body, maxBytes, display)) : body;
    await pipeline([Readable.from(source), byteLimit(maxBytes, display), createWriteStream(temp)]);
    await rename(temp, bodyPath);
  } catch (error) {
    await rm(temp, { force: true });
    if (error instanceof MirrorError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new MirrorError(MirrorErrorCode.UpstreamHttp, `${display}: could not read the body: ${message}`, {
      cause: error,
      // A corrupt .zst stays corrupt; a reset connection does not.
      transient: !/zstd|decompress/i.test(message),
    });
  }
}

async function collect(body: AsyncIterable<Uint8Array>, maxBytes: number, display: string): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      throw new MirrorError(
        MirrorErrorCode.RepodataInvalid,
        `${display}: larger than the ${maxBytes}-byte limit; refusing it`,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function byteLimit(maxBytes: number, display: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.byteLength;
      if (seen > maxBytes) {
        callback(
          new MirrorError(
            MirrorErrorCode.RepodataInvalid,
            `${display}: larger than the ${maxBytes}-byte limit once decompressed; refusing it`,
          ),
        );
        return;
      }
      callback(null, chunk);
    },
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
