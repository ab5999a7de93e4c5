import { MirrorError, MirrorErrorCode, planStep, stagedPackages, stagePlan } from '@condasync/mirror';
import { CHANNEL_LOCK_RETRY_MS, type PlanJobData, TERMINAL_STATUSES } from '@condasync/queue';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { lifecycleOf, syncRunOf, type WorkerServices } from '../services.ts';
import { runSyncJob } from './sync-job.ts';

/**
 * Plans a sync: takes the destination channel's lock (one sync per channel at a time), runs the
 * plan step, stages the plan in the store, records the counts and enqueues one package job per
 * missing file (and the finalize job of subdirs with none).
 */
export function planProcessor(services: WorkerServices) {
  const lifecycle = lifecycleOf(services);
  const { registry } = services;
  return (job: Job<PlanJobData>, token?: string, signal?: AbortSignal): Promise<string> =>
    runSyncJob(services, job, signal, async () => {
      const { syncId } = job.data;
      const status = await registry.status(syncId);
      if (status === null) throw new UnrecoverableError(`sync ${syncId} does not exist`);
      if (TERMINAL_STATUSES.has(status)) return `skipped: sync is ${status}`;
      const run = await syncRunOf(services, syncId, { signal });
      if (job.data.reset) run.reset = true;
      const channel = run.config.dest_channel;
      run.logger = services.logger.child({ component: 'plan', sync: syncId, channel });

      if (!(await lifecycle.acquireChannel(channel, syncId))) {
        run.logger.info({}, 'another sync of this channel is running; waiting for it');
        await job.moveToDelayed(Date.now() + CHANNEL_LOCK_RETRY_MS, token);
        throw new DelayedError();
      }
      // A plan job retried after a crash must not reset counters that package jobs already moved.
      if (!(await registry.planRecorded(syncId))) {
        await registry.setStatus(syncId, 'planning');
        const plan = await planStep(run).catch((error: unknown) => {
          // A permanent fault (refused address, 404, invalid repodata) fails the same way next time.
          if (error instanceof MirrorError && !error.transient && error.code !== MirrorErrorCode.Cancelled)
            throw new UnrecoverableError(error.message);
          throw error;
        });
        await registry.recordPlan(syncId, await stagePlan(run, syncId, plan), plan.collisions);
      }
      if (!(await registry.setStatus(syncId, 'downloading'))) return 'cancelled while planning';
      let packages = 0;
      for (const subdir of await registry.subdirs(syncId)) {
        const added = await lifecycle.enqueuePackages(
          syncId,
          stagedPackages(run, syncId, subdir),
          run.config.retries + 1,
        );
        // Nothing to download here: the subdir goes straight to publishing.
        if (added === 0) await lifecycle.enqueueFinalize(syncId, subdir);
        packages += added;
      }
      if (packages === 0) await registry.setStatus(syncId, 'finalizing');
      run.logger.info({ packages }, 'sync planned');
      return 'planned';
    });
}
