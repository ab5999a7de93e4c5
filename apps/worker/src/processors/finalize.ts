import { finishChannelStep, publishSubdirStep, readStagedMeta, readStagedRecords } from '@condasync/mirror';
import { type FinalizeJobData, TERMINAL_STATUSES } from '@condasync/queue';
import { type Job, UnrecoverableError } from 'bullmq';
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
      // A cancelled or failed sync publishes nothing (docs/design.md §5, invariant 3).
      if (TERMINAL_STATUSES.has(status) && status !== 'partial' && status !== 'succeeded')
        return `skipped: sync is ${status}`;
      const run = await syncRunOf(services, syncId, { signal });
      const channel = run.config.dest_channel;
      run.logger = services.logger.child({ component: 'finalize', sync: syncId, channel, subdir });

      const meta = await readStagedMeta(store, syncId, subdir);
      const failed = await registry.failedFilenames(syncId, subdir);
      const result = await publishSubdirStep(run, {
        subdir,
        info: meta.info,
        removed: meta.removed,
        records: readStagedRecords(store, syncId, subdir, failed),
        runExports: meta.runExports,
        unlisted: meta.removals,
      });
      services.metrics.lastSuccess.set({ channel, subdir }, Date.now() / 1000);
      const { counted, remaining } = await registry.finishSubdir(syncId, subdir, result.records);
      if (counted && remaining === 0) {
        await finishChannelStep(run, { stagedAs: syncId });
        await lifecycle.releaseChannel(channel, syncId);
        run.logger.info({}, 'sync finished');
      }
      return result.changed ? 'published' : 'unchanged';
    });
}
