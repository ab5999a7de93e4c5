import { randomUUID } from 'node:crypto';
import { ROLLBACK_ID_PREFIX } from './lock-holders.ts';
import { CHANNEL_LOCK_TTL_MS } from './sync-lifecycle.ts';
import type { SyncRegistry } from './sync-registry.ts';

export type ChannelHolder = NonNullable<Awaited<ReturnType<SyncRegistry['channelLockHolder']>>>;

/**
 * A rollback (POST /v1/channels/:channel/rollback) publishes metadata, so it takes the channel's
 * single-writer lock like a sync, a cleanup or an import (docs/design.md §5, invariant 6). It runs
 * in the API process as a job holder: marked running while it holds the lock, so a waiting sync
 * does not take over; if the process dies, the mark and the lock expire together.
 */
export class RollbackLock {
  readonly #syncs: SyncRegistry;

  constructor(syncs: SyncRegistry) {
    this.#syncs = syncs;
  }

  /**
   * Runs `work` holding the channel's lock. Resolves `{ busy }` with the current holder, without
   * running it, when another writer holds the channel.
   */
  async hold<T>(
    destChannel: string,
    work: () => Promise<T>,
  ): Promise<{ busy: null; value: T } | { busy: ChannelHolder }> {
    const id = `${ROLLBACK_ID_PREFIX}${randomUUID()}`;
    if (!(await this.#syncs.acquireChannelLockForJob(destChannel, id, CHANNEL_LOCK_TTL_MS))) {
      const holder = await this.#syncs.channelLockHolder(destChannel);
      // Freed between the two calls: still reported busy; the client retries.
      return { busy: holder ?? { id: 'unknown', kind: 'sync', status: null } };
    }
    try {
      return { busy: null, value: await work() };
    } finally {
      await this.#syncs.releaseChannelLockForJob(destChannel, id);
    }
  }
}
