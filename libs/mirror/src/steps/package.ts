import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isStorageError, type ObjectStore, StorageErrorCode } from '@condasync/storage';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { type ChannelSource, channelFilePath, channelFileUrl } from '../upstream/channel-source.ts';
import type { UpstreamHttp } from '../upstream/http-client.ts';

/** One package to copy from an upstream channel into the store. */
export interface PackageTask {
  channel: ChannelSource;
  subdir: string;
  filename: string;
  /** Destination key in the store. */
  key: string;
  size: number;
  sha256?: string;
  md5?: string;
}

export interface DownloadLimits {
  retries: number;
  deadlineMs: number;
  minBytesPerSecond: number;
}

export interface PackageContext {
  store: ObjectStore;
  http: UpstreamHttp;
  logger: Logger;
  limits: DownloadLimits;
  /** Scratch folder for records that carry only an md5 (they must be hashed before the store sees them). */
  tempDir: string;
  signal?: AbortSignal;
}

/** True for a checksum or size mismatch: the bytes upstream sent are not the ones repodata lists. */
export function isIntegrityError(error: MirrorError): boolean {
  return error.code === MirrorErrorCode.ChecksumMismatch || error.code === MirrorErrorCode.SizeMismatch;
}

/**
 * One attempt at copying a package: streams it from upstream into the store, which refuses to
 * publish anything but exactly `size` bytes with the expected sha256 (docs/design.md §5, invariant 2).
 * Throws a MirrorError; whether another attempt may help is judgeAttempt's call, not this one's.
 */
export async function copyPackage(task: PackageTask, ctx: PackageContext): Promise<void> {
  try {
    await copyOnce(task, ctx);
  } catch (error) {
    throw asMirrorError(error, task);
  }
}

async function copyOnce(task: PackageTask, ctx: PackageContext): Promise<void> {
  const { body, dispose } = await openUpstreamBody(task, ctx);
  try {
    if (task.sha256 !== undefined) {
      await ctx.store.put(task.key, body, { size: task.size, sha256: task.sha256, signal: ctx.signal });
    } else {
      await putMd5Only(task, body, ctx);
    }
  } finally {
    await dispose();
  }
}

async function openUpstreamBody(
  task: PackageTask,
  ctx: PackageContext,
): Promise<{ body: AsyncIterable<Uint8Array>; dispose: () => Promise<void> }> {
  if (task.channel.kind === 'file') {
    // Open first so a missing file is a clean ENOENT here, not an unhandled stream error later.
    const handle = await open(channelFilePath(task.channel, task.subdir, task.filename), 'r');
    const stream = handle.createReadStream();
    return { body: stream, dispose: async () => void stream.destroy() };
  }
  const response = await ctx.http.request(channelFileUrl(task.channel, task.subdir, task.filename), {
    deadlineMs: ctx.limits.deadlineMs,
    minBytesPerSecond: ctx.limits.minBytesPerSecond,
    signal: ctx.signal,
  });
  return { body: response.body, dispose: response.dispose };
}

/**
 * Old records (Anaconda's `free` channel) carry only an md5. The store verifies sha256, so the
 * bytes are hashed into a scratch file first, checked against size and md5, then stored under
 * the sha256 computed here.
 */
async function putMd5Only(
  task: PackageTask,
  body: AsyncIterable<Uint8Array>,
  ctx: PackageContext,
): Promise<void> {
  const scratch = await scratchPath(ctx.tempDir, task.filename);
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  try {
    const bytes = await spoolHashed(body, scratch, [sha256, md5]);
    if (bytes !== task.size) {
      throw new MirrorError(
        MirrorErrorCode.SizeMismatch,
        `${task.subdir}/${task.filename}: upstream sent ${bytes} bytes, repodata says ${task.size}`,
      );
    }
    const actualMd5 = md5.digest('hex');
    if (actualMd5 !== task.md5?.toLowerCase()) {
      throw new MirrorError(
        MirrorErrorCode.ChecksumMismatch,
        `${task.subdir}/${task.filename}: md5 ${actualMd5} does not match repodata's ${task.md5}`,
      );
    }
    await ctx.store.put(task.key, createReadStream(scratch), {
      size: task.size,
      sha256: sha256.digest('hex'),
      signal: ctx.signal,
    });
  } finally {
    await rm(scratch, { force: true });
  }
}

/** A fresh scratch file name in `tempDir` (created) for a download of `filename`. */
export async function scratchPath(tempDir: string, filename: string): Promise<string> {
  await mkdir(tempDir, { recursive: true });
  return join(tempDir, `${process.pid}-${Math.random().toString(36).slice(2)}-${filename}`);
}

/**
 * Streams `body` into the file `path`, feeding every chunk to `hashes` on the way, for bytes that
 * must be checked before the store sees them. Returns the byte count.
 */
export async function spoolHashed(
  body: AsyncIterable<Uint8Array>,
  path: string,
  hashes: readonly Hash[],
): Promise<number> {
  let bytes = 0;
  await pipeline(
    Readable.from(body),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        bytes += chunk.byteLength;
        for (const hash of hashes) hash.update(chunk);
        yield chunk;
      }
    },
    createWriteStream(path),
  );
  return bytes;
}

/** Any failure of one copy attempt as a MirrorError, keeping upstream errors hidden in causes. */
export function asMirrorError(error: unknown, task: Pick<PackageTask, 'subdir' | 'filename'>): MirrorError {
  const where = `${task.subdir}/${task.filename}`;
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof MirrorError) return cause;
  }
  if (isStorageError(error, StorageErrorCode.ChecksumMismatch)) {
    return new MirrorError(MirrorErrorCode.ChecksumMismatch, `${where}: sha256 does not match repodata`, {
      cause: error,
    });
  }
  if (isStorageError(error, StorageErrorCode.SizeMismatch)) {
    return new MirrorError(MirrorErrorCode.SizeMismatch, `${where}: ${error.message}`, { cause: error });
  }
  if (isStorageError(error, StorageErrorCode.Aborted)) {
    return new MirrorError(MirrorErrorCode.Cancelled, `${where}: cancelled`, { cause: error });
  }
  if (isStorageError(error)) {
    return new MirrorError(MirrorErrorCode.Storage, `${where}: storage failed: ${error.message}`, {
      cause: error,
      transient: error.code === StorageErrorCode.Backend,
    });
  }
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') {
    return new MirrorError(MirrorErrorCode.UpstreamHttp, `${where}: not found in the upstream folder`, {
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new MirrorError(MirrorErrorCode.UpstreamHttp, `${where}: ${message}`, {
    cause: error,
    transient: true,
  });
}
