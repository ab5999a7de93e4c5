import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CHANNEL_LOCK_TTL_MS } from './sync-lifecycle.ts';
import type { SyncRegistry } from './sync-registry.ts';

/** Channel-lock holder ids of rollbacks; the registry reads their status from `<prefix>:rollback:<id>`. */
export const ROLLBACK_ID_PREFIX = 'rbk-';

export type ChannelHolder = Awaited<ReturnType<SyncRegistry['channelLockHolder']>>;

/**
 * A rollback (POST /v1/channels/:channel/rollback) publishes metadata, so it takes the channel's
 * single-writer lock like a sync or a cleanup (docs/design.md §5, invariant 6). It runs in the
 * API process: while it runs, its holder id has a status that a waiting sync reads as live; if the
 * process dies, that status and the lock expire together and the next writer takes over.
 */
export class RollbackLock {
  readonly #redis: Redis;
  readonly #syncs: SyncRegistry;
  readonly #prefix: string;

  constructor(redis: Redis, syncs: SyncRegistry, prefix: string) {
    this.#redis = redis;
    this.#syncs = syncs;
    this.#prefix = prefix;
  }

  /**
   * Runs `work` holding the channel's lock. Resolves `{ busy }` with the current holder, without
   * running it, when another writer holds the channel.
   */
  async hold<T>(
    destChannel: string,
    work: () => Promise<T>,
  ): Promise<{ busy: null; value: T } | { busy: NonNullable<ChannelHolder> }> {
    const id = `${ROLLBACK_ID_PREFIX}${randomUUID()}`;
    const status = `${this.#prefix}:rollback:${id}`;
    await this.#redis
      .multi()
      .hset(status, 'status', 'finalizing')
      .pexpire(status, CHANNEL_LOCK_TTL_MS)
      .exec();
    try {
      if (!(await this.#syncs.acquireChannelLock(destChannel, id, CHANNEL_LOCK_TTL_MS))) {
        const holder = await this.#syncs.channelLockHolder(destChannel);
        // Freed between the two calls: report it as busy anyway; the client retries.
        return { busy: holder ?? { id: 'unknown', kind: 'sync', status: null } };
      }
      try {
        return { busy: null, value: await work() };
      } finally {
        await this.#syncs.releaseChannelLock(destChannel, id);
      }
    } finally {
      await this.#redis.del(status);
    }
  }
}
