import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decompressZstd } from '@condasync/codecs';
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
  /**
   * Refuse a decompressed document larger than this (zstd bombs); never more than
   * MAX_UPSTREAM_DOCUMENT_BYTES, whatever is asked.
   */
  maxBytes: number;
  /**
   * The file is optional upstream (run_exports.json): a 403 on the plain variant also means
   * "absent", as static hosts (S3 websites) answer 403 for a missing object.
   */
  optional?: boolean;
  /**
   * A reset (`condasync sync --reset`): ignore the cached copy and its validators, fetch the
   * document unconditionally (no If-None-Match) and cache the answer afresh.
   */
  forgetCache?: boolean;
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
 * Largest upstream JSON document (repodata.json, run_exports.json) accepted once decompressed:
 * 1 GiB, about three times conda-forge's largest repodata.json (~360 MB). A 94 KB .zst once
 * expanded to 3 GB per subdir on a worker's disk; now it stops here, and before that if the
 * bytes are not a JSON object. Documented in docs/configuration.md.
 */
export const MAX_UPSTREAM_DOCUMENT_BYTES = 1024 ** 3;

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
  const meta = options.forgetCache ? null : await readMeta(metaPath, bodyPath);
  const maxBytes = Math.min(options.maxBytes, MAX_UPSTREAM_DOCUMENT_BYTES);
  const variants: Variant[] = meta?.variant === 'json' ? ['json', 'zst'] : ['zst', 'json'];

  return withRetries(
    async () => {
      for (const variant of variants) {
        const file = variant === 'zst' ? `${filename}.zst` : filename;
        const url = channelFileUrl(channel, subdir, file);
        const display = `${channel.display}/${subdir}/${file}`;
        const conditional = meta?.variant === variant && meta.etag !== undefined;
        // Decompressing and writing count against the same deadline as the download.
        const deadline = Date.now() + options.deadlineMs;
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
        try {
          await saveBody(response.body, variant, bodyPath, {
            maxBytes,
            deadline,
            display,
            signal: options.signal,
          });
        } catch (error) {
          // The cached copy is not what the upstream serves any more, and this answer is unusable.
          if (error instanceof MirrorError && !error.transient) await forget(bodyPath, metaPath);
          throw error;
        }
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

interface SaveLimits {
  maxBytes: number;
  /** Epoch ms by which the body must be downloaded, decompressed and written. */
  deadline: number;
  display: string;
  signal: AbortSignal | undefined;
}

/**
 * Streams the body (decompressing .zst) into a temp file and renames it over the cached copy.
 * Refuses, permanently, a document over the size limit or one that is not a JSON object; runs
 * out of time (transiently) at the download deadline. Nothing of a refused body stays on disk.
 */
async function saveBody(
  body: AsyncIterable<Uint8Array>,
  variant: Variant,
  bodyPath: string,
  limits: SaveLimits,
): Promise<void> {
  const { maxBytes, display } = limits;
  const temp = `${bodyPath}.${process.pid}.${Date.now()}.tmp`;
  const deadline = deadlineSignal(limits.deadline, limits.signal);
  try {
    // The compressed body (a tenth of the JSON) is collected so the codec can check its frames
    // (zstd files may hold several, and stray bytes after the last are refused). The decoder
    // yields as the pipeline pulls, so a bomb expands no further than the limit.
    const source = variant === 'zst' ? decompressZstd(await collect(body, maxBytes, display)) : body;
    await pipeline([Readable.from(source), documentGuard(maxBytes, display), createWriteStream(temp)], {
      signal: deadline.signal,
    });
    await rename(temp, bodyPath);
  } catch (error) {
    await rm(temp, { force: true });
    throw saveFailure(error, deadline, limits);
  } finally {
    deadline.dispose();
  }
}

/** Why saving failed, as a MirrorError that says whether another attempt could help. */
function saveFailure(error: unknown, deadline: DeadlineSignal, limits: SaveLimits): MirrorError {
  if (error instanceof MirrorError) return error;
  if (limits.signal?.aborted) {
    return new MirrorError(MirrorErrorCode.Cancelled, `${limits.display}: cancelled`, { cause: error });
  }
  if (deadline.expired) {
    const seconds = Math.round((limits.deadline - deadline.startedAt) / 1000);
    return new MirrorError(
      MirrorErrorCode.UpstreamTimeout,
      `${limits.display}: not downloaded, decompressed and written within the ${seconds} s left of the deadline`,
      { cause: error, transient: true },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  // A local disk error may pass; bytes that do not decode never will.
  const diskError = typeof (error as { syscall?: unknown }).syscall === 'string';
  return new MirrorError(
    diskError ? MirrorErrorCode.Storage : MirrorErrorCode.RepodataInvalid,
    `${limits.display}: could not ${diskError ? 'write' : 'decode'} the body: ${message}`,
    { cause: error, transient: diskError },
  );
}

interface DeadlineSignal {
  signal: AbortSignal;
  expired: boolean;
  startedAt: number;
  dispose(): void;
}

/** A signal that fires at `deadline` (epoch ms) or when `external` does. */
function deadlineSignal(deadline: number, external: AbortSignal | undefined): DeadlineSignal {
  const controller = new AbortController();
  const startedAt = Date.now();
  const state: DeadlineSignal = {
    signal: controller.signal,
    expired: false,
    startedAt,
    dispose: () => {
      clearTimeout(timer);
      external?.removeEventListener('abort', onExternal);
    },
  };
  const timer = setTimeout(
    () => {
      state.expired = true;
      controller.abort();
    },
    Math.max(0, deadline - startedAt),
  );
  const onExternal = (): void => controller.abort();
  if (external?.aborted) controller.abort();
  else external?.addEventListener('abort', onExternal, { once: true });
  return state;
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

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Counts the decoded bytes as they stream to disk and refuses the document once it passes
 * `maxBytes`, or at once when it does not start with `{` (a bomb of zeros is caught in its first
 * chunk), or when it does not end with `}`. The full parse comes later, from the file.
 */
function documentGuard(maxBytes: number, display: string): Transform {
  let seen = 0;
  let started = false;
  let last = -1;
  const refuse = (reason: string): MirrorError =>
    new MirrorError(MirrorErrorCode.RepodataInvalid, `${display}: ${reason}; refusing it`);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.byteLength;
      if (seen > maxBytes) {
        callback(refuse(`larger than the ${maxBytes}-byte limit once decompressed`));
        return;
      }
      for (let i = 0; !started && i < chunk.byteLength; i++) {
        const byte = chunk[i] as number;
        if (WHITESPACE.has(byte)) continue;
        if (byte !== 0x7b) {
          callback(refuse(`not a JSON object (it starts with byte 0x${byte.toString(16).padStart(2, '0')})`));
          return;
        }
        started = true;
      }
      for (let i = chunk.byteLength - 1; i >= 0; i--) {
        const byte = chunk[i] as number;
        if (!WHITESPACE.has(byte)) {
          last = byte;
          break;
        }
      }
      callback(null, chunk);
    },
    flush(callback) {
      callback(
        started && last === 0x7d ? null : refuse('not a complete JSON object (it does not end with })'),
      );
    },
  });
}

/** Drops a cached upstream file and its validators, so that no later run trusts it. */
async function forget(bodyPath: string, metaPath: string): Promise<void> {
  await Promise.all([rm(bodyPath, { force: true }), rm(metaPath, { force: true })]);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
