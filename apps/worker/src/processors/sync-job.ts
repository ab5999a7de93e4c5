import { isLastAttempt, type PackageJobData, QueueName } from '@condasync/queue';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { lifecycleOf, type WorkerServices } from '../services.ts';

/** A failure already recorded where it belongs (one package's): the sync goes on without it. */
export class RecordedFailure extends UnrecoverableError {}

/**
 * Runs a job's work so that no error leaves its sync waiting forever: when the work fails for good
 * (an UnrecoverableError, or any error on the job's last attempt), the sync ends `failed` with the
 * reason and frees its channel, whatever line threw. The error is rethrown either way, so BullMQ
 * retries or records the failure as usual. Not for a job put back to wait (DelayedError), a
 * failure already recorded (RecordedFailure), or a worker stopping (the job runs again elsewhere).
 */
export async function runSyncJob<R>(
  services: WorkerServices,
  job: Job<{ syncId: string }>,
  signal: AbortSignal | undefined,
  work: () => Promise<R>,
): Promise<R> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DelayedError || error instanceof RecordedFailure || signal?.aborted) throw error;
    if (isLastAttempt(job, error)) await failSyncOf(services, job, error);
    throw error;
  }
}

/**
 * Ends the job's sync `failed`, naming the job and its error. Also for a worker's `failed` event:
 * a job that stalled too often is failed by BullMQ without its processor running.
 */
export async function failSyncOf(
  services: WorkerServices,
  job: Pick<Job<{ syncId: string }>, 'name' | 'queueName' | 'data'>,
  error: unknown,
): Promise<void> {
  const { syncId } = job.data;
  const reason = `${job.name} job failed: ${error instanceof Error ? error.message : String(error)}`;
  const ended = await lifecycleOf(services)
    .fail(syncId, reason)
    .catch((failure: unknown) => {
      services.logger.error({ sync: syncId, err: String(failure) }, 'cannot mark the sync failed');
      return false;
    });
  if (ended) services.logger.error({ sync: syncId, queue: job.queueName, reason }, 'sync failed');
}

/** BullMQ's reason for a job it failed itself, without running its processor, after too many stalls. */
const STALLED_TOO_OFTEN = /stalled more than allowable limit/;

/**
 * For a worker's `failed` event. A job that stalled too often (its workers died mid-job again and
 * again) is failed by BullMQ without its processor, so nothing else would record it: a package is
 * recorded as failed (the sync goes on and ends partial, naming it); a plan or finalize job ends its
 * sync failed. Other failures were recorded by runSyncJob already.
 */
export async function recordStalledFailure(
  services: WorkerServices,
  job: Job<{ syncId: string }> | undefined,
  error: Error,
): Promise<void> {
  if (job === undefined || !STALLED_TOO_OFTEN.test(error.message)) return;
  if (job.queueName === QueueName.package) {
    const data = job.data as PackageJobData;
    await lifecycleOf(services)
      .finishPackage(data, {
        status: 'failed',
        code: 'STALLED',
        reason: `its job stalled too often (${error.message})`,
      })
      .catch((failure: unknown) =>
        services.logger.error(
          { sync: data.syncId, err: String(failure) },
          'cannot record the stalled package',
        ),
      );
    return;
  }
  await failSyncOf(services, job, error);
}
