import type { ObjectStore } from '@condasync/storage';
import type { SyncConfig } from './config/index.ts';
import { installersStep, withInstallers } from './installers/installers-step.ts';
import type { Logger } from './logger.ts';
import {
  headChannelInputs,
  readChannelInputs,
  sameChannelInputs,
  writeChannelInputs,
} from './state/channel-inputs.ts';
import { type ChannelSnapshot, snapshotChannel, writeDeltaBundle } from './steps/delta-bundle.ts';
import { finishChannelStep } from './steps/finish-step.ts';
import { rememberFailures, triagePackages } from './steps/known-failures.ts';
import { mirrorPackage, type PackageOutcome, type PlannedPackage } from './steps/package-step.ts';
import type { SubdirPlan, SyncPlan } from './steps/plan.ts';
import { planStep } from './steps/plan-step.ts';
import { type PublishedSubdir, publishSubdirStep } from './steps/publish-step.ts';
import { runPool } from './steps/run-pool.ts';
import type { SyncRun } from './steps/sync-run.ts';
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
  /** Forget cached upstream state and re-hash every stored file (`condasync sync --reset`). */
  reset?: boolean;
  signal?: AbortSignal;
  now?: () => number;
  onProgress?(progress: SyncProgress): void;
  http?: UpstreamHttp;
}

/**
 * The local sync of docs/design.md §2: the sync's steps (plan → package copies with bounded
 * concurrency → publish each subdir → finish the channel) run in one process. Faulty packages are reported and left out; the rest is published. A cancelled or
 * crashed run publishes nothing new.
 */
export async function runLocalSync(options: LocalSyncOptions): Promise<SyncReport> {
  const { config } = options;
  const started = Date.now();
  const http = options.http ?? new UpstreamHttp({ connectionsPerHost: config.concurrency });
  const run: SyncRun = {
    config,
    store: options.store,
    channelPrefix: options.channelPrefix,
    http,
    workDir: options.workDir,
    logger: options.logger,
    signal: options.signal,
    ...(options.now ? { now: options.now } : {}),
    ...(options.reset ? { reset: true } : {}),
  };
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
    // The delta is what this run changes, so the channel is listed before anything is written.
    const deltaBase: ChannelSnapshot | null =
      config.delta && !options.dryRun ? await snapshotChannel(options.store, options.channelPrefix) : null;
    const plan = await planStep(run);
    progress.packagesTotal = plan.subdirs.reduce((n, s) => n + s.downloads.length, 0);
    progress.bytesTotal = plan.subdirs.reduce((n, s) => n + s.downloadBytes, 0);
    if (options.dryRun) {
      progress.phase = 'done';
      emit();
      return withInstallers(
        buildReport(plan, new Map(), [], true, started),
        await installersStep(run, { dryRun: true }),
      );
    }

    progress.phase = 'downloading';
    emit();
    const triaged = await triagePackages(run, plan);
    const failures: PackageFailure[] = [...triaged.notRetried];
    const failedNow: Array<{
      planned: PlannedPackage;
      outcome: Extract<PackageOutcome, { status: 'failed' }>;
    }> = [];
    progress.packagesDone = progress.packagesFailed = triaged.notRetried.length;
    if (triaged.notRetried.length > 0)
      run.logger.warn(
        { packages: triaged.notRetried.length },
        'not retrying packages that failed for good on the same upstream record (sync --reset retries them)',
      );
    const downloaded = new Map<string, { count: number; bytes: number }>();
    await runPool(triaged.toTry, config.concurrency, async (planned) => {
      const outcome = await mirrorPackage(run, planned);
      const { subdir, filename } = planned;
      progress.packagesDone++;
      if (outcome.status === 'failed') {
        progress.packagesFailed++;
        failures.push({ subdir, filename, code: outcome.code, reason: outcome.reason });
        failedNow.push({ planned, outcome });
        run.logger.error({ subdir, filename, code: outcome.code, reason: outcome.reason }, 'package failed');
      } else {
        progress.bytesDone += outcome.bytes;
        const tally = downloaded.get(subdir) ?? { count: 0, bytes: 0 };
        tally.count++;
        tally.bytes += outcome.bytes;
        downloaded.set(subdir, tally);
      }
      emit();
    });
    await rememberFailures(run, triaged, failedNow);

    progress.phase = 'finalizing';
    emit();
    const failed = new Set(failures.map((f) => `${f.subdir}/${f.filename}`));
    const published = new Map<string, PublishedSubdir>();
    for (const subdir of plan.subdirs) {
      published.set(
        subdir.subdir,
        await publishSubdirStep(run, {
          subdir: subdir.subdir,
          info: subdir.info,
          removed: subdir.removed,
          records: () => publishable(subdir, failed),
          runExports: subdir.runExports,
          unlisted: subdir.removals,
        }),
      );
    }
    await finishChannelUnlessUnchanged(run, [...published.values()]);
    const deltaBundle =
      deltaBase === null
        ? undefined
        : await writeDeltaBundle(
            {
              store: options.store,
              channelPrefix: options.channelPrefix,
              channel: config.mirror_dir ?? config.dest_channel,
              deltaDir: config.delta_dir!,
              logger: run.logger,
              ...(options.now ? { now: options.now } : {}),
            },
            deltaBase,
          );
    const installers = await installersStep(run, { dryRun: false });
    progress.phase = 'done';
    emit();
    const report = withInstallers(
      buildReport(plan, downloaded, failures, false, started, published),
      installers,
    );
    return deltaBundle === undefined ? report : { ...report, deltaBundle };
  } finally {
    if (options.http === undefined) await http.close();
  }
}

/**
 * The finish step, left out when every subdir's finalize was, no file was deleted (the step also
 * ends the metadata generations that list deleted files), and channeldata.json and everything it
 * is made from have the ETags they had after the last one (`--reset` always runs it).
 */
async function finishChannelUnlessUnchanged(
  run: SyncRun,
  published: readonly PublishedSubdir[],
): Promise<void> {
  const subdirs = published.map((p) => p.subdir);
  const quiet = published.every((p) => p.skipped === true && p.deleted === 0);
  const before = await headChannelInputs(run.store, run.channelPrefix, subdirs);
  const last = run.reset ? null : await readChannelInputs(run.store, run.channelPrefix);
  if (quiet && last !== null && sameChannelInputs(last, before)) {
    run.logger.info({}, 'channel files unchanged since the last channel step; skipped');
    return;
  }
  await finishChannelStep(run);
  const after = await headChannelInputs(run.store, run.channelPrefix, subdirs);
  if (last === null || !sameChannelInputs(last, after))
    await writeChannelInputs(run.store, run.channelPrefix, after);
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
  published: ReadonlyMap<string, PublishedSubdir> = new Map(),
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
      notRetried: failures.filter((f) => f.subdir === s.subdir && f.notRetried !== undefined).length,
      toRemove: s.removals.length,
      toRemoveBytes: s.removals.reduce((n, r) => n + r.size, 0),
      published: outcome?.records ?? 0,
      repodataChanged: outcome?.changed ?? false,
      deleted: outcome?.deleted ?? 0,
      pendingDeletion: outcome?.pendingDeletion ?? 0,
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
            s.downloads.map((f) => ({ subdir: s.subdir, filename: f, size: s.records.get(f)!.size })),
          ),
          removals: plan.subdirs.flatMap((s) => s.removals.map((r) => ({ subdir: s.subdir, ...r }))),
        }
      : {}),
  };
}
