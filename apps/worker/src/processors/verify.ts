import {
  MirrorError,
  type SyncConfig,
  storedSyncConfig,
  type VerifyReport,
  verifyStep,
} from '@condasync/mirror';
import { ConfigSeal, ConfigSealError, openJobConfig, type VerifyJobData } from '@condasync/queue';
import { type Job, UnrecoverableError } from 'bullmq';
import type { WorkerServices } from '../services.ts';

/**
 * Runs a verification (POST /v1/verifications): the verify step over the job's destination
 * channel, with repair when asked. The report is the job's return value, which the API reads back.
 */
export function verifyProcessor(services: WorkerServices) {
  const seal = services.config.secretKey === null ? null : new ConfigSeal(services.config.secretKey);
  return async (job: Job<VerifyJobData>, _token?: string, signal?: AbortSignal): Promise<VerifyReport> => {
    const config = jobConfig(job, seal);
    const logger = services.logger.child({
      component: 'verify',
      verification: job.id,
      channel: config.dest_channel,
    });
    const report = await verifyStep(
      {
        config,
        store: services.store,
        channelPrefix: `${config.dest_channel}/`,
        http: services.http,
        workDir: services.config.workDir,
        logger,
        signal,
      },
      { repair: job.data.repair },
    );
    logger.info(
      {
        status: report.status,
        checked: report.checked,
        missing: report.missing,
        mismatched: report.mismatched,
      },
      'verification done',
    );
    return report;
  };
}

/** A config that cannot be opened or no longer validates fails the job for good: no retry fixes it. */
function jobConfig(job: Job<VerifyJobData>, seal: ConfigSeal | null): SyncConfig {
  try {
    return storedSyncConfig(openJobConfig(job.data.config, seal));
  } catch (error) {
    if (error instanceof MirrorError || error instanceof ConfigSealError || error instanceof SyntaxError) {
      throw new UnrecoverableError(`verification ${job.id}: ${error.message}`);
    }
    throw error;
  }
}
