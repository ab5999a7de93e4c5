import type { Redis } from 'ioredis';
import { DEFAULT_QUEUE_PREFIX } from './queues.ts';

/*
 * "A channel's metadata changed in the store": published on a Redis pub/sub channel by whoever
 * publishes (the worker's finalize, an import, a rollback), so that API processes caching the
 * channel's metadata in memory drop it at once instead of at their next revalidation.
 * Fire-and-forget by design: a notice lost while an API is disconnected only delays the new bytes
 * by the API's revalidation interval.
 */

export interface PublishNotice {
  channel: string;
  /** The subdir published; absent when channel-level files (channeldata.json) changed. */
  subdir?: string;
}

/** The pub/sub channel of one deployment (the queue prefix namespaces it, as every key). */
export function publishNoticeTopic(prefix: string | null | undefined): string {
  return `${prefix ?? DEFAULT_QUEUE_PREFIX}:published`;
}

/** Tells every subscribed API that `notice.channel` changed. */
export async function announcePublished(
  redis: Pick<Redis, 'publish'>,
  prefix: string | null | undefined,
  notice: PublishNotice,
): Promise<void> {
  await redis.publish(publishNoticeTopic(prefix), JSON.stringify(notice));
}

/** The notice a message carries, or null for a message that is not one (ignored by subscribers). */
export function parsePublishNotice(message: string): PublishNotice | null {
  try {
    const value = JSON.parse(message) as { channel?: unknown; subdir?: unknown };
    if (typeof value.channel !== 'string' || value.channel === '') return null;
    if (value.subdir !== undefined && typeof value.subdir !== 'string') return null;
    return value.subdir === undefined
      ? { channel: value.channel }
      : { channel: value.channel, subdir: value.subdir };
  } catch {
    return null;
  }
}
