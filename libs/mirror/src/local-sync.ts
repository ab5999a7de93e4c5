import { join } from 'node:path';
import type { ObjectStore } from '@condasync/storage';
import type { SyncConfig } from './config/index.ts';
import type { Logger } from './logger.ts';
import { applyDeletionGrace } from './steps/deletions.ts';
import { finalizeChannel } from './steps/finalize/channel.ts';
import { finalizeSubdir } from './steps/finalize.ts';
import { mirrorPackage } from './steps/package.ts';
import { type PlanContext, planSync, type SubdirPlan, type SyncPlan } from './steps/plan.ts';
import { runPool } from './steps/run-pool.ts';
import type { PackageFailure, SubdirReport, SyncProgress, SyncReport } from './sync-report.ts';
import { UpstreamHttp } from './upstream/http-client.ts';

export interface LocalSyncOptions {
  config: SyncConfig;
  store: ObjectStore;
  /** '' when the store is a mirror_dir holding one channel; `<dest_channel>/` in shared storage. */
  channelPrefix: string;
  /** Worker-local folder for the upstream repodata cache and scratch files. */
  workDir: string;
  logger: Logger;
  dryRun?: boolean;
  signal?: AbortSignal;
  now?: () => number;
  onProgress?(progress: SyncProgress): void;
  http?: UpstreamHttp;
}

/**
 * The local sync of docs/design.md §2: plan → package copies (bounded concurrency) → finalize, in one
 * process. Faulty packages are reported and left out; the rest is published. A cancelled or
 * crashed run publishes nothing new.
 */
export async function runLocalSync(options: LocalSyncOptions): Promise<SyncReport> {
  const { config, store, channelPrefix, logger } = options;
  const started = Date.now();
  const now = options.now ?? Date.now;
  const http = options.http ?? new UpstreamHttp({ connectionsPerHost: config.concurrency });
  const tempDir = join(options.workDir, 'tmp');
  const progress: SyncProgress = {
    phase: 'planning',
    packagesTotal: 0,
    packagesDone: 0,
    packagesFailed: 0,
    bytesTotal: 0,
    bytesDone: 0,
  };
  const emit = (): void => options.onProgress?.({ ...progress });
  emit();
  try {
    const planContext: PlanContext = {
      store,
      channelPrefix,
      http,
      cacheDir: join(options.workDir, 'cache'),
      logger,
      signal: options.signal,
    };
    const plan = await planSync(config, planContext);
    progress.packagesTotal = plan.subdirs.reduce((n, s) => n + s.downloads.length, 0);
    progress.bytesTotal = plan.subdirs.reduce((n, s) => n + s.downloadBytes, 0);
    if (options.dryRun) {
      progress.phase = 'done';
      emit();
      return buildReport(plan, new Map(), [], true, started);
    }

    progress.phase = 'downloading';
    emit();
    const failures: PackageFailure[] = [];
    const downloaded = new Map<string, { count: number; bytes: number }>();
    const tasks = plan.subdirs.flatMap((subdir) =>
      subdir.downloads.map((filename) => ({ subdir, filename })),
    );
    await runPool(tasks, config.concurrency, async ({ subdir, filename }) => {
      const planned = subdir.records.get(filename)!;
      const { record } = planned;
      const outcome = await mirrorPackage(
        {
          channel: planned.channel,
          subdir: subdir.subdir,
          filename,
          key: `${channelPrefix}${subdir.subdir}/${filename}`,
          size: record.size,
          ...(record.sha256 === undefined ? {} : { sha256: record.sha256 }),
          ...(record.md5 === undefined ? {} : { md5: record.md5 }),
        },
        {
          store,
          http,
          logger,
          tempDir,
          signal: options.signal,
          limits: {
            retries: config.retries,
            deadlineMs: config.download_timeout_seconds * 1000,
            minBytesPerSecond: config.min_bytes_per_second,
          },
        },
      );
      progress.packagesDone++;
      if (outcome.status === 'failed') {
        progress.packagesFailed++;
        failures.push({ subdir: subdir.subdir, filename, code: outcome.code, reason: outcome.reason });
        logger.error(
          { subdir: subdir.subdir, filename, code: outcome.code, reason: outcome.reason },
          'package failed',
        );
      } else {
        progress.bytesDone += outcome.bytes;
        const tally = downloaded.get(subdir.subdir) ?? { count: 0, bytes: 0 };
        tally.count++;
        tally.bytes += outcome.bytes;
        downloaded.set(subdir.subdir, tally);
      }
      emit();
    });

    progress.phase = 'finalizing';
    emit();
    const failed = new Set(failures.map((f) => `${f.subdir}/${f.filename}`));
    const published = new Map<
      string,
      { changed: boolean; records: number; deleted: number; pending: number }
    >();
    for (const subdir of plan.subdirs) {
      const result = await finalizeSubdir(
        {
          subdir: subdir.subdir,
          info: subdir.info,
          removed: subdir.removed,
          records: publishable(subdir, failed),
          zstdLevel: config.zstd_level,
          shards: config.shards,
          currentRepodata: config.current_repodata,
          repodataBz2: config.repodata_bz2,
          runExports: subdir.runExports,
          graceMs: config.grace_period_hours * 3_600_000,
          now: now(),
        },
        { store, channelPrefix, tempDir, logger, signal: options.signal },
      );
      const deletions = await applyDeletionGrace(
        {
          subdir: subdir.subdir,
          unlisted: subdir.removals,
          graceMs: config.grace_period_hours * 3_600_000,
          now: now(),
        },
        { store, channelPrefix, logger },
      );
      published.set(subdir.subdir, {
        changed: result.changed,
        records: result.records,
        deleted: deletions.deleted.length,
        pending: deletions.pending,
      });
    }
    // Once every subdir is out, so it never describes a mix of old and new subdirs.
    await finalizeChannel({}, { store, channelPrefix, logger, signal: options.signal });
    progress.phase = 'done';
    emit();
    return buildReport(plan, downloaded, failures, false, started, published);
  } finally {
    if (options.http === undefined) await http.close();
  }
}

function* publishable(subdir: SubdirPlan, failed: ReadonlySet<string>) {
  for (const [filename, { record }] of subdir.records) {
    if (!failed.has(`${subdir.subdir}/${filename}`)) yield [filename, record] as [string, typeof record];
  }
}

function buildReport(
  plan: SyncPlan,
  downloaded: ReadonlyMap<string, { count: number; bytes: number }>,
  failures: PackageFailure[],
  dryRun: boolean,
  started: number,
  published: ReadonlyMap<
    string,
    { changed: boolean; records: number; deleted: number; pending: number }
  > = new Map(),
): SyncReport {
  const subdirs: SubdirReport[] = plan.subdirs.map((s) => {
    const failedHere = failures.filter((f) => f.subdir === s.subdir).length;
    const outcome = published.get(s.subdir);
    return {
      subdir: s.subdir,
      selected: s.records.size,
      toDownload: s.downloads.length,
      toDownloadBytes: s.downloadBytes,
      present: s.present,
      downloaded: downloaded.get(s.subdir)?.count ?? 0,
      downloadedBytes: downloaded.get(s.subdir)?.bytes ?? 0,
      failed: failedHere,
      toRemove: s.removals.length,
      toRemoveBytes: s.removals.reduce((n, r) => n + r.size, 0),
      published: outcome?.records ?? 0,
      repodataChanged: outcome?.changed ?? false,
      deleted: outcome?.deleted ?? 0,
      pendingDeletion: outcome?.pending ?? 0,
    };
  });
  return {
    status: failures.length > 0 ? 'partial' : 'succeeded',
    dryRun,
    seconds: (Date.now() - started) / 1000,
    subdirs,
    failures,
    excluded: plan.excluded,
    unresolved: plan.unresolved,
    rejected: plan.rejected,
    collisions: plan.collisions,
    ...(dryRun
      ? {
          additions: plan.subdirs.flatMap((s) =>
            s.downloads.map((f) => ({ subdir: s.subdir, filename: f, size: s.records.get(f)!.record.size })),
          ),
          removals: plan.subdirs.flatMap((s) => s.removals.map((r) => ({ subdir: s.subdir, ...r }))),
        }
      : {}),
  };
}
