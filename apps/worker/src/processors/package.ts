import {
  channelSource,
  copyPackage,
  isIntegrityError,
  MirrorError,
  MirrorErrorCode,
} from '@condasync/mirror';
import { type PackageJobData, TERMINAL_STATUSES } from '@condasync/queue';
import { type Job, UnrecoverableError } from 'bullmq';
import { CHANNEL_LOCK_TTL_MS, tempDirOf, type WorkerServices } from '../services.ts';
import { enqueueFinalize } from './plan.ts';

/** Integrity failures tolerated per package before it counts as corrupt upstream. */
const INTEGRITY_ATTEMPTS = 2;
/** Refresh the channel lock at most this often per process (a sync may run for hours). */
const LOCK_REFRESH_MS = 30_000;

/**
 * Copies one package per job attempt. BullMQ retries transient faults with backoff; on the last
 * attempt or a permanent fault the failure is recorded (with its reason) before throwing
 * UnrecoverableError, so bookkeeping never depends on an event handler surviving a crash. The
 * registry counts each package once, however often its job runs, and the job that ends a
 * subdir's last package enqueues the subdir's finalize job.
 */
export function packageProcessor(services: WorkerServices) {
  const lastLockRefresh = new Map<string, number>();
  return async (job: Job<PackageJobData>, _token?: string, signal?: AbortSignal): Promise<string> => {
    const { syncId, subdir, filename } = job.data;
    const status = await services.registry.status(syncId);
    if (status === null || TERMINAL_STATUSES.has(status)) return `skipped: sync is ${status ?? 'gone'}`;
    const config = await services.syncConfigs.get(syncId);
    const channelUrl = config?.channels[job.data.channelIndex];
    if (!config || channelUrl === undefined)
      throw new UnrecoverableError(`sync ${syncId} has no channel ${job.data.channelIndex}`);
    const labels = { channel: config.dest_channel, subdir };
    await refreshLock(services, lastLockRefresh, config.dest_channel, syncId);

    const key = `${config.dest_channel}/${subdir}/${filename}`;
    const existing = await services.store.head(key);
    const task = {
      channel: channelSource(channelUrl),
      subdir,
      filename,
      key,
      size: job.data.size,
      ...(job.data.sha256 === undefined ? {} : { sha256: job.data.sha256 }),
      ...(job.data.md5 === undefined ? {} : { md5: job.data.md5 }),
    };
    // A retried job (after a crash) or a concurrent sync may have stored it already.
    if (
      existing !== null &&
      existing.size === task.size &&
      (task.sha256 === undefined || existing.sha256 === undefined || existing.sha256 === task.sha256)
    ) {
      services.metrics.packages.inc({ ...labels, outcome: 'present' });
      await finish(services, job.data, { status: 'downloaded', bytes: 0 });
      return 'present';
    }
    try {
      await copyPackage(task, {
        store: services.store,
        http: services.http,
        logger: services.logger,
        tempDir: tempDirOf(services.config),
        limits: {
          retries: 0,
          deadlineMs: config.download_timeout_seconds * 1000,
          minBytesPerSecond: config.min_bytes_per_second,
        },
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      const mirrorError =
        error instanceof MirrorError
          ? error
          : new MirrorError(MirrorErrorCode.UpstreamHttp, String(error), { cause: error, transient: true });
      if (mirrorError.code === MirrorErrorCode.Cancelled) throw mirrorError; // worker closing: retried later
      const attempt = job.attemptsMade + 1;
      const integrity = isIntegrityError(mirrorError);
      if (integrity) services.metrics.integrityFailures.inc({ channel: config.dest_channel });
      const final =
        !mirrorError.transient ||
        attempt >= (job.opts.attempts ?? 1) ||
        (integrity && attempt >= INTEGRITY_ATTEMPTS);
      if (!final) throw mirrorError;
      services.metrics.packages.inc({ ...labels, outcome: 'failed' });
      await finish(services, job.data, {
        status: 'failed',
        code: mirrorError.code,
        reason: mirrorError.message,
      });
      throw new UnrecoverableError(mirrorError.message);
    }
    services.metrics.packages.inc({ ...labels, outcome: 'downloaded' });
    services.metrics.downloadedBytes.inc({ channel: config.dest_channel }, task.size);
    await finish(services, job.data, { status: 'downloaded', bytes: task.size });
    return 'downloaded';
  };
}

async function finish(
  services: WorkerServices,
  data: PackageJobData,
  end: { status: 'downloaded'; bytes: number } | { status: 'failed'; code: string; reason: string },
): Promise<void> {
  const { last } = await services.registry.finishPackage(data.syncId, data.subdir, data.filename, end);
  if (last) await enqueueFinalize(services, { syncId: data.syncId, subdir: data.subdir });
}

async function refreshLock(
  services: WorkerServices,
  seen: Map<string, number>,
  channel: string,
  syncId: string,
): Promise<void> {
  const now = Date.now();
  if (now - (seen.get(syncId) ?? 0) < LOCK_REFRESH_MS) return;
  seen.set(syncId, now);
  await services.registry.acquireChannelLock(channel, syncId, CHANNEL_LOCK_TTL_MS);
}
