import {
  applyDeletionGrace,
  dropStaging,
  finalizeChannel,
  finalizeSubdir,
  readStagedMeta,
  readStagedRecords,
} from '@condasync/mirror';
import { type FinalizeJobData, TERMINAL_STATUSES } from '@condasync/queue';
import { type Job, UnrecoverableError } from 'bullmq';
import { tempDirOf, type WorkerServices } from '../services.ts';

/**
 * Publishes one subdir once all its package jobs ended: repodata from the staged records minus
 * the failed packages, then deletions past their grace period. The last subdir of a sync ends
 * the sync (succeeded or partial), frees the channel and drops the staging.
 */
export function finalizeProcessor(services: WorkerServices) {
  return async (job: Job<FinalizeJobData>, _token?: string, signal?: AbortSignal): Promise<string> => {
    const { syncId, subdir } = job.data;
    const { registry, store } = services;
    const status = await registry.status(syncId);
    if (status === null) throw new UnrecoverableError(`sync ${syncId} does not exist`);
    // A cancelled sync publishes nothing (docs/design.md §5, invariant 3).
    if (TERMINAL_STATUSES.has(status) && status !== 'partial' && status !== 'succeeded')
      return `skipped: sync is ${status}`;
    const config = await services.syncConfigs.get(syncId);
    if (config === null) throw new UnrecoverableError(`sync ${syncId} has no config`);
    const channelPrefix = `${config.dest_channel}/`;
    const log = services.logger.child({
      component: 'finalize',
      sync: syncId,
      channel: config.dest_channel,
      subdir,
    });

    const meta = await readStagedMeta(store, syncId, subdir);
    const failed = await registry.failedFilenames(syncId, subdir);
    const result = await finalizeSubdir(
      {
        subdir,
        info: meta.info,
        removed: meta.removed,
        records: readStagedRecords(store, syncId, subdir, failed),
        zstdLevel: config.zstd_level,
        shards: config.shards,
        currentRepodata: config.current_repodata,
        repodataBz2: config.repodata_bz2,
        runExports: meta.runExports,
        graceMs: config.grace_period_hours * 3_600_000,
        now: Date.now(),
      },
      {
        store,
        channelPrefix,
        tempDir: tempDirOf(services.config),
        logger: log,
        ...(signal ? { signal } : {}),
      },
    );
    await applyDeletionGrace(
      { subdir, unlisted: meta.removals, graceMs: config.grace_period_hours * 3_600_000, now: Date.now() },
      { store, channelPrefix, logger: log },
    );
    services.metrics.lastSuccess.set({ channel: config.dest_channel, subdir }, Date.now() / 1000);
    const { counted, remaining } = await registry.finishSubdir(syncId, subdir, result.records);
    if (counted && remaining === 0) {
      // The last subdir of the sync is out: channeldata.json now describes them all.
      await finalizeChannel({}, { store, channelPrefix, logger: log, ...(signal ? { signal } : {}) });
      await registry.releaseChannelLock(config.dest_channel, syncId);
      await dropStaging(store, syncId);
      log.info({}, 'sync finished');
    }
    return result.changed ? 'published' : 'unchanged';
  };
}
