import {
  type BundleImportResult,
  importBundle,
  MirrorError,
  MirrorErrorCode,
  tarBundleEntries,
} from '@condasync/mirror';
import { CHANNEL_LOCK_RETRY_MS, CHANNEL_LOCK_TTL_MS, type ImportJobData } from '@condasync/queue';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { noticeSender } from '../publish-notices.ts';
import type { WorkerServices } from '../services.ts';

/** Bundles that fail verification, and deltas on the wrong base, fail the same way on every retry. */
const REFUSALS: ReadonlySet<string> = new Set([
  MirrorErrorCode.BundleInvalid,
  MirrorErrorCode.BundleBaseMismatch,
]);

/**
 * Runs an import (POST /v1/imports): streams the bundle from the store through the same importer as
 * `condasync import` into the job's channel, holding the channel lock that syncs and cleanups take
 * (docs/design.md §5, invariant 6) and renewing it while a large bundle streams. The report is the
 * job's return value, which the API reads back.
 */
export function importProcessor(services: WorkerServices) {
  const { registry, store } = services;
  return async (
    job: Job<ImportJobData>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<BundleImportResult> => {
    const id = job.id as string;
    const { destChannel, bundleKey } = job.data;
    const logger = services.logger.child({ component: 'import', import: id, channel: destChannel });
    if (!(await registry.acquireChannelLockForJob(destChannel, id, CHANNEL_LOCK_TTL_MS))) {
      logger.info({}, 'a sync, cleanup or import of this channel is running; waiting for it');
      await job.moveToDelayed(Date.now() + CHANNEL_LOCK_RETRY_MS, token);
      throw new DelayedError();
    }
    const renew = setInterval(() => {
      registry.acquireChannelLockForJob(destChannel, id, CHANNEL_LOCK_TTL_MS).catch((error: unknown) => {
        logger.warn({ err: (error as Error).message }, 'could not renew the channel lock');
      });
    }, CHANNEL_LOCK_TTL_MS / 3);
    let body: { destroy(): void } | null = null;
    try {
      const object = await store.get(bundleKey);
      if (object === null)
        throw new UnrecoverableError(`import ${id}: no bundle '${bundleKey}' in the store`);
      body = object.body;
      logger.info({ bundle: bundleKey, bytes: object.info.size }, 'import started');
      const result = await importBundle(tarBundleEntries(object.body), {
        store,
        channelPrefix: `${destChannel}/`,
        logger,
        signal,
      }).catch((error: unknown) => {
        if (error instanceof MirrorError && REFUSALS.has(error.code))
          throw new UnrecoverableError(`import ${id}: ${error.message}`);
        throw error;
      });
      logger.info(
        {
          kind: result.kind,
          members: result.members,
          stored: result.stored,
          published: result.published.length,
        },
        'import done',
      );
      // APIs cache the channel's metadata in memory: tell them it changed.
      await noticeSender(services)({ channel: destChannel });
      return result;
    } finally {
      // A refused bundle stops reading midway; an S3 body holds a pooled socket until destroyed.
      body?.destroy();
      clearInterval(renew);
      await registry.releaseChannelLockForJob(destChannel, id);
    }
  };
}
