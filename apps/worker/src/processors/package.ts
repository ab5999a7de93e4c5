import { packageStep } from '@condasync/mirror';
import { type PackageJobData, TERMINAL_STATUSES } from '@condasync/queue';
import type { Job } from 'bullmq';
import { lifecycleOf, syncRunOf, type WorkerServices } from '../services.ts';
import { RecordedFailure, runSyncJob } from './sync-job.ts';

/**
 * Copies one package per job attempt with the package step, which judges each failure (transient,
 * permanent, integrity). BullMQ retries what the step says is worth retrying; a final failure is
 * recorded with its reason before the job fails, so bookkeeping never depends on an event handler
 * surviving a crash. The registry counts each package once, however often its job runs, and the
 * job that ends a subdir's last package enqueues the subdir's finalize job.
 */
export function packageProcessor(services: WorkerServices) {
  const lifecycle = lifecycleOf(services);
  const { metrics } = services;
  return (job: Job<PackageJobData>, _token?: string, signal?: AbortSignal): Promise<string> =>
    runSyncJob(services, job, signal, async () => {
      const data = job.data;
      const status = await services.syncStatuses.get(data.syncId);
      if (status === null || TERMINAL_STATUSES.has(status)) return `skipped: sync is ${status ?? 'gone'}`;
      const run = await syncRunOf(services, data.syncId, { signal });
      const channel = run.config.dest_channel;
      const labels = { channel, subdir: data.subdir };
      await lifecycle.refreshChannel(channel, data.syncId);

      const endDownload = metrics.downloadDuration.startTimer({ channel });
      const result = await packageStep(run, data, {
        history: {
          attempt: job.attemptsMade + 1,
          maxAttempts: job.opts.attempts ?? 1,
          integrityFailures: data.integrityFailures ?? 0,
        },
        skipStored: true,
      });
      if (result.status === 'present' || result.status === 'downloaded') {
        const bytes = result.status === 'downloaded' ? result.bytes : 0;
        metrics.packages.inc({ ...labels, outcome: result.status });
        if (bytes > 0) metrics.downloadedBytes.inc({ channel }, bytes);
        if (result.status === 'downloaded') endDownload();
        await lifecycle.finishPackage(data, { status: 'downloaded', bytes });
        return result.status;
      }
      const { verdict } = result;
      if (verdict.kind === 'integrity') {
        metrics.integrityFailures.inc({ channel });
        // The integrity budget spans attempts: the next one must know how many went before.
        if (result.status === 'retry')
          await job.updateData({ ...data, integrityFailures: verdict.integrityFailures });
      }
      if (result.status === 'retry') throw verdict.error;
      metrics.packageFailed(labels, verdict.error.code);
      await lifecycle.finishPackage(data, {
        status: 'failed',
        code: verdict.error.code,
        reason: verdict.error.message,
      });
      throw new RecordedFailure(verdict.error.message);
    });
}
