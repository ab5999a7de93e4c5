import { MirrorError, MirrorErrorCode } from '../errors.ts';
import { applyDeletionGrace } from '../steps/deletions.ts';
import { packageContext } from '../steps/package-step.ts';
import { runPool } from '../steps/run-pool.ts';
import { downloadLimitsOf, graceMsOf, type SyncRun } from '../steps/sync-run.ts';
import { checkStoredFile } from '../steps/verify-stored.ts';
import type { SyncReport } from '../sync-report.ts';
import { redactUrl } from '../upstream/redaction.ts';
import {
  type InstallerEntry,
  type InstallerIndex,
  parseInstallerIndex,
  type SkippedRow,
} from './index-page.ts';
import { copyInstaller } from './installer-copy.ts';
import {
  DOWNLOADS_FOLDER,
  installerKey,
  type ListedInstaller,
  writeInstallerListing,
} from './installer-layout.ts';

export interface InstallerFailure {
  filename: string;
  code: string;
  reason: string;
}

/** What the installers step did (or, in a dry run, would do) to one folder. */
export interface InstallerDirReport {
  dir: string;
  /** Rows of upstream's page with a sha256: the files this folder mirrors. */
  listed: number;
  /** Already stored with the page's sha256: not fetched again. */
  present: number;
  downloaded: number;
  downloadedBytes: number;
  /** Rows the page shows but that cannot be verified (no sha256, odd name or size): not mirrored. */
  skipped: SkippedRow[];
  failed: InstallerFailure[];
  /** Dry runs: the files a real run would fetch, with the page's (approximate) size. */
  toDownload?: Array<{ filename: string; size: number }>;
  /** Stored files upstream's page no longer lists: deleted after the grace period. */
  toRemove: Array<{ filename: string; size: number }>;
  deleted: number;
  pendingDeletion: number;
  /** The page could not be read or understood: nothing in this folder was changed. */
  error?: { code: string; reason: string };
}

export interface InstallersReport {
  dirs: InstallerDirReport[];
}

/** Installers run to GBs: a few streams fill a link, and each open S3 multipart upload holds buffers. */
const MAX_PARALLEL_INSTALLERS = 4;

/**
 * The installers step (`fetch_installers: true`): mirrors each folder of `dir_names` from
 * `<remote_url><dir>/` into `downloads/<dir>/` (docs/design.md §4). Every file is verified against
 * the sha256 upstream's index page lists (invariant 2); a file already stored with that sha256 is
 * not fetched again (with `verify_checksum` or `--reset` its bytes are re-hashed first). The
 * folder's listing is written once its files are in, and files the page dropped are deleted only
 * after the grace period, like packages (invariant 4). Null when the config fetches no installers.
 */
export async function installersStep(
  run: SyncRun,
  options: { dryRun: boolean },
): Promise<InstallersReport | null> {
  if (!run.config.fetch_installers) return null;
  const dirs: InstallerDirReport[] = [];
  for (const dir of run.config.dir_names) dirs.push(await mirrorInstallerDir(run, dir, options.dryRun));
  return { dirs };
}

/** `<remote_url><dir>/`: where the folder's index page and files are. */
export function installerDirUrl(run: Pick<SyncRun, 'config'>, dir: string): string {
  return `${run.config.remote_url}${dir}/`;
}

async function mirrorInstallerDir(run: SyncRun, dir: string, dryRun: boolean): Promise<InstallerDirReport> {
  const report: InstallerDirReport = {
    dir,
    listed: 0,
    present: 0,
    downloaded: 0,
    downloadedBytes: 0,
    skipped: [],
    failed: [],
    toRemove: [],
    deleted: 0,
    pendingDeletion: 0,
  };
  const logger = run.logger.child({ component: 'installers', dir });
  let entries: InstallerEntry[];
  try {
    const index = await fetchInstallerIndex(run, dir);
    entries = index.entries;
    report.skipped = index.skipped;
  } catch (error) {
    run.signal?.throwIfAborted();
    const failure = error instanceof MirrorError ? error : null;
    report.error = {
      code: failure?.code ?? MirrorErrorCode.UpstreamHttp,
      reason: failure?.message ?? String(error),
    };
    logger.error({ reason: report.error.reason }, 'installer folder not mirrored');
    return report;
  }
  report.listed = entries.length;
  for (const row of report.skipped)
    logger.warn({ filename: row.filename, reason: row.reason }, 'installer skipped');

  const missing: InstallerEntry[] = [];
  const stored: InstallerEntry[] = [];
  for (const entry of entries) {
    if (await storedCopyMatches(run, dir, entry)) stored.push(entry);
    else missing.push(entry);
  }
  report.present = stored.length;
  const wanted = new Set(entries.map((entry) => entry.filename));
  const unlisted: Array<{ filename: string; size: number }> = [];
  const prefix = `${DOWNLOADS_FOLDER}/${dir}/`;
  for await (const object of run.store.list(prefix, { sha256: false })) {
    const filename = object.key.slice(prefix.length);
    if (!wanted.has(filename)) unlisted.push({ filename, size: object.size });
  }
  report.toRemove = unlisted;
  if (dryRun) {
    report.toDownload = missing.map((entry) => ({ filename: entry.filename, size: entry.size.bytes }));
    return report;
  }

  const ctx = packageContext(run);
  const fetched = new Set<string>();
  await runPool(missing, Math.min(run.config.concurrency, MAX_PARALLEL_INSTALLERS), async (entry) => {
    const task = {
      dir,
      entry,
      url: `${installerDirUrl(run, dir)}${entry.filename}`,
      key: installerKey(dir, entry.filename),
    };
    try {
      const bytes = await copyInstaller(task, ctx, run.config.retries);
      report.downloaded++;
      report.downloadedBytes += bytes;
      fetched.add(entry.filename);
      logger.info({ filename: entry.filename, bytes }, 'installer stored');
    } catch (error) {
      const failure = error as MirrorError;
      if (failure.code === MirrorErrorCode.Cancelled) throw error;
      report.failed.push({ filename: entry.filename, code: failure.code, reason: failure.message });
      logger.error(
        { filename: entry.filename, code: failure.code, reason: failure.message },
        'installer failed',
      );
    }
  });

  // Listed means present (invariant 1): the listing names only files stored with the page's sha256.
  const present = new Set([...stored.map((entry) => entry.filename), ...fetched]);
  await publishListing(
    run,
    dir,
    entries.filter((entry) => present.has(entry.filename)),
  );
  const grace = await applyDeletionGrace(
    { subdir: dir, unlisted, graceMs: graceMsOf(run.config), now: (run.now ?? Date.now)() },
    { store: run.store, channelPrefix: `${DOWNLOADS_FOLDER}/`, logger },
  );
  report.deleted = grace.deleted.length;
  report.pendingDeletion = grace.pending;
  return report;
}

/** Reads and parses `<remote_url><dir>/`; a page with no installer table is an error, never an empty folder. */
export async function fetchInstallerIndex(run: SyncRun, dir: string): Promise<InstallerIndex> {
  const url = installerDirUrl(run, dir);
  const limits = downloadLimitsOf(run.config);
  const response = await run.http.request(url, {
    deadlineMs: limits.deadlineMs,
    minBytesPerSecond: limits.minBytesPerSecond,
    ...(run.signal ? { signal: run.signal } : {}),
  });
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of response.body) {
      bytes += chunk.byteLength;
      // Upstream's pages are a few hundred kB; anything far larger is not one of them.
      if (bytes > MAX_INDEX_PAGE_BYTES) {
        throw new MirrorError(
          MirrorErrorCode.UpstreamHttp,
          `${redactUrl(url)} is over ${MAX_INDEX_PAGE_BYTES} bytes: not an installer index page`,
        );
      }
      chunks.push(Buffer.from(chunk));
    }
  } finally {
    await response.dispose();
  }
  const index = parseInstallerIndex(Buffer.concat(chunks).toString('utf8'));
  if (index.entries.length === 0 && index.skipped.length === 0) {
    // A page we cannot read must not look like an empty folder, which would delete every installer.
    throw new MirrorError(
      MirrorErrorCode.UpstreamHttp,
      `${redactUrl(url)} has no table of installers (rows with a link, a size and a SHA256)`,
    );
  }
  return index;
}

const MAX_INDEX_PAGE_BYTES = 16 * 1024 * 1024;

async function storedCopyMatches(run: SyncRun, dir: string, entry: InstallerEntry): Promise<boolean> {
  const key = installerKey(dir, entry.filename);
  const existing = await run.store.head(key);
  if (existing === null || existing.sha256 !== entry.sha256) return false;
  if (entry.size.exact && existing.size !== entry.size.bytes) return false;
  if (!run.config.verify_checksum && !run.reset) return true;
  const check = await checkStoredFile(
    run.store,
    key,
    { size: existing.size, sha256: entry.sha256 },
    run.signal,
  );
  return check.status === 'ok';
}

async function publishListing(run: SyncRun, dir: string, entries: InstallerEntry[]): Promise<void> {
  const files: ListedInstaller[] = [];
  for (const entry of entries) {
    const info = await run.store.head(installerKey(dir, entry.filename));
    if (info === null) continue;
    const file: ListedInstaller = {
      filename: entry.filename,
      size: info.size,
      sha256: entry.sha256,
      lastModified: entry.lastModified,
    };
    if (entry.md5 !== undefined) file.md5 = entry.md5;
    files.push(file);
  }
  await writeInstallerListing(run.store, { dir, files });
}

/**
 * The sync's report with the installers step's: a failed installer or an unreadable folder makes
 * the run `partial`, as a failed package does; the rest was mirrored.
 */
export function withInstallers(report: SyncReport, installers: InstallersReport | null): SyncReport {
  if (installers === null) return report;
  const failed = installers.dirs.some((dir) => dir.failed.length > 0 || dir.error !== undefined);
  return { ...report, installers, ...(failed ? { status: 'partial' as const } : {}) };
}
