import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import { asMirrorError, type PackageContext, scratchPath, spoolHashed } from '../steps/package.ts';
import { type AttemptHistory, judgeAttempt } from '../steps/package-attempt.ts';
import { withRetries } from '../upstream/retry.ts';
import { type InstallerEntry, sizeAgrees } from './index-page.ts';

/** One installer to copy from an upstream folder into the store. */
export interface InstallerTask {
  /** The installer folder, e.g. `archive` (what reports name the file by). */
  dir: string;
  entry: InstallerEntry;
  url: string;
  key: string;
}

/** Installers take minutes at honest speeds: the package deadline gets this rate's worth on top. */
const INSTALLER_DEADLINE_RATE = 1024 * 1024;

/**
 * Copies one installer with the package copies' retry policy (judgeAttempt: transient faults back
 * off and retry, a 404 or the same checksum mismatch twice fail at once). Streams from upstream
 * into the store's verified put, which lands nothing but exactly the bytes whose sha256 the index
 * page lists (docs/design.md §5, invariant 2). Returns the bytes stored.
 */
export async function copyInstaller(
  task: InstallerTask,
  ctx: PackageContext,
  retries: number,
): Promise<number> {
  const where = { subdir: task.dir, filename: task.entry.filename };
  const history: AttemptHistory = { attempt: 1, maxAttempts: retries + 1, integrityFailures: 0 };
  return withRetries(
    async (attempt) => {
      history.attempt = attempt;
      try {
        return await copyOnce(task, ctx);
      } catch (error) {
        // The verdict's `transient` flag is what withRetries reads: a corrupt upstream file ends it.
        const verdict = judgeAttempt(error, where, history);
        history.integrityFailures = verdict.integrityFailures;
        throw verdict.error;
      }
    },
    {
      retries,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onRetry: ({ attempt, delayMs, error }) =>
        ctx.logger.debug(
          { dir: task.dir, filename: task.entry.filename, attempt, delayMs, err: error.message },
          'retrying installer',
        ),
    },
  ).catch((error: unknown) => {
    throw asMirrorError(error, where);
  });
}

async function copyOnce(task: InstallerTask, ctx: PackageContext): Promise<number> {
  const { entry } = task;
  const where = `${task.dir}/${entry.filename}`;
  const response = await ctx.http.request(task.url, {
    deadlineMs: ctx.limits.deadlineMs + (entry.size.bytes / INSTALLER_DEADLINE_RATE) * 1000,
    minBytesPerSecond: ctx.limits.minBytesPerSecond,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  try {
    const length = contentLength(response.headers['content-length']);
    if (length !== null && !sizeAgrees(entry.size, length)) {
      throw new MirrorError(
        MirrorErrorCode.SizeMismatch,
        `${where}: upstream sends ${length} bytes, the index page lists ${entry.size.text}`,
      );
    }
    const options = { sha256: entry.sha256, contentType: 'application/octet-stream', signal: ctx.signal };
    if (length !== null) {
      await ctx.store.put(task.key, response.body, { ...options, size: length });
      return length;
    }
    return await putUnknownLength(task, response.body, ctx);
  } catch (error) {
    const mirrorError = asMirrorError(error, { subdir: task.dir, filename: entry.filename });
    if (mirrorError.code === MirrorErrorCode.ChecksumMismatch) {
      throw new MirrorError(
        MirrorErrorCode.ChecksumMismatch,
        `${where}: sha256 does not match the index page's ${entry.sha256}`,
        { cause: error, transient: mirrorError.transient },
      );
    }
    throw mirrorError;
  } finally {
    await response.dispose();
  }
}

function contentLength(header: string | string[] | undefined): number | null {
  const text = Array.isArray(header) ? header[0] : header;
  if (text === undefined || !/^\d+$/.test(text.trim())) return null;
  const length = Number(text);
  return Number.isSafeInteger(length) ? length : null;
}

/**
 * An upstream that streams without Content-Length: the store must know the size before it accepts
 * a body, so the bytes go to a scratch file first, counted and hashed on the way, and are stored
 * from there only when the sha256 is the page's.
 */
async function putUnknownLength(
  task: InstallerTask,
  body: AsyncIterable<Uint8Array>,
  ctx: PackageContext,
): Promise<number> {
  const scratch = await scratchPath(ctx.tempDir, task.entry.filename);
  const sha256 = createHash('sha256');
  try {
    const bytes = await spoolHashed(body, scratch, [sha256]);
    const where = `${task.dir}/${task.entry.filename}`;
    if (!sizeAgrees(task.entry.size, bytes)) {
      throw new MirrorError(
        MirrorErrorCode.SizeMismatch,
        `${where}: upstream sent ${bytes} bytes, the index page lists ${task.entry.size.text}`,
      );
    }
    const actual = sha256.digest('hex');
    if (actual !== task.entry.sha256) {
      throw new MirrorError(
        MirrorErrorCode.ChecksumMismatch,
        `${where}: sha256 ${actual} does not match the index page's ${task.entry.sha256}`,
      );
    }
    await ctx.store.put(task.key, createReadStream(scratch), {
      size: bytes,
      sha256: actual,
      contentType: 'application/octet-stream',
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    return bytes;
  } finally {
    await rm(scratch, { force: true });
  }
}
