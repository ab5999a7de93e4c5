import {
  cleanStep,
  MirrorError,
  MirrorErrorCode,
  type SyncConfig,
  storedSyncConfig,
} from '@condasync/mirror';
import {
  CHANNEL_LOCK_RETRY_MS,
  type CleanJobData,
  CleanupLifecycle,
  type CleanupRegistry,
  isLastAttempt,
} from '@condasync/queue';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { WorkerServices } from '../services.ts';

/**
 * Runs one cleanup (POST /v1/cleanups): the clean step, the same as `condasync clean`, on the
 * channel of the cleanup's config, holding the channel lock that syncs take too, so a cleanup and
 * a sync of one channel never run at once (it waits, as a sync's plan job does). The report goes
 * to the cleanup's record; a failure on the last attempt ends the cleanup `failed` with the reason.
 */
export function cleanProcessor(services: WorkerServices, cleanups: CleanupRegistry) {
  const lifecycle = new CleanupLifecycle(cleanups, services.registry);
  return async (job: Job<CleanJobData>, token?: string, signal?: AbortSignal): Promise<string> => {
    const { cleanupId } = job.data;
    try {
      const status = await cleanups.status(cleanupId);
      if (status === null) throw new UnrecoverableError(`cleanup ${cleanupId} does not exist`);
      if (status === 'succeeded' || status === 'failed') return `skipped: cleanup is ${status}`;
      const config = await configOf(cleanups, cleanupId);
      const channel = config.dest_channel;
      const logger = services.logger.child({ component: 'clean', cleanup: cleanupId, channel });
      if (!(await lifecycle.acquireChannel(channel, cleanupId))) {
        logger.info({}, 'a sync of this channel is running; waiting for it');
        await job.moveToDelayed(Date.now() + CHANNEL_LOCK_RETRY_MS, token);
        throw new DelayedError();
      }
      try {
        await cleanups.start(cleanupId);
        const dryRun = await cleanups.dryRun(cleanupId);
        const report = await cleanStep(
          {
            config,
            store: services.store,
            channelPrefix: `${channel}/`,
            http: services.http,
            workDir: services.config.workDir,
            logger,
            signal,
          },
          { dryRun },
        ).catch((error: unknown) => {
          // A permanent fault (refused address, 404, unreadable metadata) fails the same way next time.
          if (error instanceof MirrorError && !error.transient && error.code !== MirrorErrorCode.Cancelled)
            throw new UnrecoverableError(error.message);
          throw error;
        });
        await cleanups.succeed(cleanupId, report);
        logger.info({ files: report.files.length, bytes: report.bytes, dryRun }, 'cleanup finished');
        return dryRun ? 'listed' : 'cleaned';
      } finally {
        await lifecycle.releaseChannel(channel, cleanupId);
      }
    } catch (error) {
      if (error instanceof DelayedError || signal?.aborted) throw error;
      if (isLastAttempt(job, error))
        await cleanups.fail(cleanupId, `clean job failed: ${(error as Error).message}`).catch(() => {});
      throw error;
    }
  };
}

/** The cleanup's stored config; a missing or invalid one cannot be repaired by a retry. */
async function configOf(cleanups: CleanupRegistry, cleanupId: string): Promise<SyncConfig> {
  const raw = await cleanups.config(cleanupId);
  if (raw === null) throw new UnrecoverableError(`cleanup ${cleanupId} has no stored config`);
  try {
    return storedSyncConfig(raw);
  } catch (error) {
    if (!(error instanceof MirrorError)) throw error;
    throw new UnrecoverableError(`cleanup ${cleanupId}: ${error.message}`);
  }
}
