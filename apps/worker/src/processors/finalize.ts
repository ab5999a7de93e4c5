import {
  finishChannelStep,
  installersStep,
  publishSubdirStep,
  readStagedMeta,
  readStagedRecords,
} from '@condasync/mirror';
import { type FinalizeJobData, TERMINAL_STATUSES } from '@condasync/queue';
import { type Job, UnrecoverableError } from 'bullmq';
import { noticeSender } from '../publish-notices.ts';
import { lifecycleOf, syncRunOf, type WorkerServices } from '../services.ts';
import { runSyncJob } from './sync-job.ts';

/**
 * Publishes one subdir once all its package jobs ended: the publish step with the staged records
 * minus the failed packages. The last subdir of a sync ends the sync (succeeded or partial): the
 * finish step writes channeldata and drops the staging, and the channel is freed.
 */
export function finalizeProcessor(services: WorkerServices) {
  const lifecycle = lifecycleOf(services);
  const { registry, store } = services;
  return (job: Job<FinalizeJobData>, _token?: string, signal?: AbortSignal): Promise<string> =>
    runSyncJob(services, job, signal, async () => {
      const { syncId, subdir } = job.data;
      const status = await registry.status(syncId);
      if (status === null) throw new UnrecoverableError(`sync ${syncId} does not exist`);
      // A cancelled or failed sync publishes nothing (docs/design.md §5, invariant 3); an ended one is done.
      if (TERMINAL_STATUSES.has(status)) return `skipped: sync is ${status}`;
      const run = await syncRunOf(services, syncId, { signal });
      const channel = run.config.dest_channel;
      run.logger = services.logger.child({ component: 'finalize', sync: syncId, channel, subdir });

      const meta = await readStagedMeta(store, syncId, subdir);
      const failed = await registry.failedFilenames(syncId, subdir);
      const result = await publishSubdirStep(run, {
        subdir,
        info: meta.info,
        removed: meta.removed,
        records: () => readStagedRecords(store, syncId, subdir, failed),
        runExports: meta.runExports,
        unlisted: meta.removals,
      });
      services.metrics.lastSuccess.set({ channel, subdir }, Date.now() / 1000);
      // APIs cache metadata in memory: tell them now rather than at their next revalidation.
      const announce = noticeSender(services);
      if (result.changed) await announce({ channel, subdir });
      const { remaining } = await registry.finishSubdir(syncId, subdir, result.records);
      // The last subdir ends the sync; a retry of it (the first try died mid-way) ends it again,
      // which is safe: every part of the end is idempotent. Its status changes last, so a sync
      // reads as ended only once channeldata is written and the channel is free.
      if (remaining === 0) {
        // Installer folders (fetch_installers) last, once the packages are published: a retry
        // of this job skips the installers already stored. The channel stays the sync's meanwhile.
        const keepLock = setInterval(
          () => void lifecycle.refreshChannel(channel, syncId).catch(() => {}),
          60_000,
        );
        try {
          const installers = await installersStep(run, { dryRun: false });
          if (installers !== null) await registry.recordInstallers(syncId, installers.dirs);
        } finally {
          clearInterval(keepLock);
        }
        await finishChannelStep(run, { stagedAs: syncId });
        await announce({ channel });
        await lifecycle.releaseChannel(channel, syncId);
        if (await registry.completeSync(syncId)) run.logger.info({}, 'sync finished');
      }
      return result.changed ? 'published' : 'unchanged';
    });
}
