import { announcePublished, type PublishNotice } from '@condasync/queue';
import type { Redis } from 'ioredis';
import type { WorkerServices } from './services.ts';

/**
 * Sends publish notices on the queues' Redis connection. main.ts (and the tests) hand the queues an
 * ioredis instance; queues built from bare connection options have none to share, and the APIs then
 * see the change at their next revalidation instead.
 */
export function noticeSender(services: WorkerServices): (notice: PublishNotice) => Promise<void> {
  const connection = services.finalizeQueue.opts.connection as Partial<Pick<Redis, 'publish'>>;
  const redis = typeof connection.publish === 'function' ? (connection as Pick<Redis, 'publish'>) : null;
  return async (notice) => {
    if (redis !== null) await announcePublished(redis, services.config.queuePrefix, notice);
  };
}
