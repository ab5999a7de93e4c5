import { planSync, readStagedEntries, readStagedMeta, stageSubdirPlan } from '@condasync/mirror';
import {
  type FinalizeJobData,
  finalizeJobId,
  type PackageJobData,
  type PlanJobData,
  packageJobId,
  TERMINAL_STATUSES,
} from '@condasync/queue';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { CHANNEL_LOCK_TTL_MS, cacheDirOf, tempDirOf, type WorkerServices } from '../services.ts';

/** BullMQ's recommended ceiling for one addBulk call. */
const ADD_BULK_CHUNK = 1000;
/** addBulk calls awaited together when enqueueing a plan. */
const ADD_BULK_IN_FLIGHT = 4;
/** How long a sync waits before trying again for a channel another sync holds. */
const LOCK_RETRY_MS = 5_000;

/**
 * Plans a sync: takes the destination channel's lock (one sync per channel at a time), fetches
 * and filters upstream repodata, stages the records in the store, records the counts and
 * enqueues one package job per missing file (and the finalize job of subdirs with none).
 */
export function planProcessor(services: WorkerServices) {
  return async (job: Job<PlanJobData>, token?: string, signal?: AbortSignal): Promise<string> => {
    const { syncId } = job.data;
    const { registry, logger } = services;
    const status = await registry.status(syncId);
    if (status === null) throw new UnrecoverableError(`sync ${syncId} does not exist`);
    if (TERMINAL_STATUSES.has(status)) return `skipped: sync is ${status}`;
    const config = await services.syncConfigs.get(syncId);
    if (config === null) throw new UnrecoverableError(`sync ${syncId} has no config`);
    const log = logger.child({ component: 'plan', sync: syncId, channel: config.dest_channel });

    if (!(await registry.acquireChannelLock(config.dest_channel, syncId, CHANNEL_LOCK_TTL_MS))) {
      log.info({}, 'another sync of this channel is running; waiting for it');
      await job.moveToDelayed(Date.now() + LOCK_RETRY_MS, token);
      throw new DelayedError();
    }
    try {
      // A plan job retried after a crash must not reset counters that package jobs already moved.
      if (!(await registry.planRecorded(syncId))) {
        await registry.setStatus(syncId, 'planning');
        const plan = await planSync(config, {
          store: services.store,
          channelPrefix: `${config.dest_channel}/`,
          http: services.http,
          cacheDir: cacheDirOf(services.config),
          logger: log,
          ...(signal ? { signal } : {}),
        });
        const counts = plan.subdirs.map((s) => ({
          subdir: s.subdir,
          selected: s.records.size,
          planned: s.downloads.length,
          skipped: s.present,
          bytesPlanned: s.downloadBytes,
        }));
        for (const subdir of plan.subdirs) {
          await stageSubdirPlan(syncId, subdir, {
            store: services.store,
            tempDir: tempDirOf(services.config),
            releaseRecords: true,
          });
        }
        await registry.recordPlan(syncId, counts);
      }
      if (!(await registry.setStatus(syncId, 'downloading'))) return 'cancelled while planning';
      const jobs = await enqueueFromStaging(services, syncId, config.retries + 1);
      // Nothing to download: the sync goes straight to publishing.
      if (jobs === 0) await registry.setStatus(syncId, 'finalizing');
      log.info({ packages: jobs }, 'sync planned');
      return 'planned';
    } catch (error) {
      const last = error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (last) {
        const message = error instanceof Error ? error.message : String(error);
        await registry.setStatus(syncId, 'failed', message);
        await registry.releaseChannelLock(config.dest_channel, syncId);
        log.error({ err: message }, 'sync failed while planning');
      }
      throw error;
    }
  };
}

/**
 * Enqueues the package jobs of every staged subdir (the staging is the one source, so a retried
 * plan re-adds exactly the same deterministic job ids, which BullMQ ignores when they exist) and
 * the finalize job of subdirs that need no download.
 */
async function enqueueFromStaging(
  services: WorkerServices,
  syncId: string,
  attempts: number,
): Promise<number> {
  let total = 0;
  let batch: Array<{ name: string; data: PackageJobData; opts: object }> = [];
  // A few addBulk calls in flight: while Redis runs one chunk's scripts, the next is being built
  // and sent (one at a time, 500 k jobs took 18 s, four at a time 13 s; see BENCHMARKS.md).
  const inFlight: Array<Promise<void>> = [];
  let failure: { error: unknown } | null = null;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    // Caught at once (an unawaited rejection would end the process), rethrown below.
    inFlight.push(
      services.packageQueue.addBulk(batch).then(
        () => undefined,
        (error: unknown) => {
          failure ??= { error };
        },
      ),
    );
    total += batch.length;
    batch = [];
    if (inFlight.length >= ADD_BULK_IN_FLIGHT) await inFlight.shift();
    if (failure !== null) throw failure.error;
  };
  for (const subdir of await services.registry.subdirs(syncId)) {
    const meta = await readStagedMeta(services.store, syncId, subdir);
    if (meta.downloads.length === 0) {
      await enqueueFinalize(services, { syncId, subdir });
      continue;
    }
    const wanted = new Set(meta.downloads);
    for await (const { filename, channelIndex, record } of readStagedEntries(
      services.store,
      syncId,
      subdir,
    )) {
      if (!wanted.has(filename)) continue;
      const data: PackageJobData = { syncId, subdir, filename, channelIndex, size: record.size };
      if (record.sha256 !== undefined) data.sha256 = record.sha256;
      if (record.md5 !== undefined) data.md5 = record.md5;
      batch.push({
        name: 'package',
        data,
        opts: {
          jobId: packageJobId(syncId, subdir, filename),
          attempts,
          backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
          removeOnComplete: { age: 3600, count: 10_000 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      });
      if (batch.length >= ADD_BULK_CHUNK) await flush();
    }
  }
  await flush();
  await Promise.all(inFlight);
  if (failure !== null) throw (failure as { error: unknown }).error;
  return total;
}

export async function enqueueFinalize(services: WorkerServices, data: FinalizeJobData): Promise<void> {
  await services.finalizeQueue.add('finalize', data, {
    jobId: finalizeJobId(data.syncId, data.subdir),
    attempts: 5,
    backoff: { type: 'exponential', delay: 2000, jitter: 0.5 },
    removeOnComplete: { age: 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  });
}
