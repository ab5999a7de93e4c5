import { type SyncOutline, type SyncRegistry, TERMINAL_STATUSES } from '@condasync/queue';

/** Syncs read per registry round trip; the first scrape after a start reads them all. */
const PAGE = 1000;
/** Statuses after which a sync has published its channel's metadata. */
const PUBLISHED = new Set(['succeeded', 'partial']);

export interface SyncOutcomes {
  /** Ended syncs by destination channel and final status. */
  ended: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Syncs still running, by destination channel and status. */
  running: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Unix seconds of the last sync that published each channel (succeeded or partial). */
  lastPublished: ReadonlyMap<string, number>;
}

function bump(map: Map<string, Map<string, number>>, channel: string, status: string): void {
  const byStatus = map.get(channel) ?? new Map<string, number>();
  byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  map.set(channel, byStatus);
}

/**
 * Sync outcomes and channel freshness derived from the sync registry in Redis, so they survive
 * API restarts and do not depend on which process saw a sync end. Ended syncs never change again,
 * so each refresh reads only the syncs registered since the last one plus those still running.
 */
export class SyncOutcomeTracker {
  readonly #registry: SyncRegistry;
  #position = 0;
  readonly #running = new Set<string>();
  readonly #ended = new Map<string, Map<string, number>>();
  readonly #lastPublished = new Map<string, number>();
  #refreshing: Promise<SyncOutcomes> | null = null;

  constructor(registry: SyncRegistry) {
    this.#registry = registry;
  }

  /** Reads what changed since the last call; concurrent callers share one refresh. */
  refresh(): Promise<SyncOutcomes> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<SyncOutcomes> {
    for (;;) {
      const page = await this.#registry.registeredAfter(this.#position, PAGE);
      for (const { id, position } of page) {
        this.#running.add(id);
        this.#position = Math.max(this.#position, position);
      }
      if (page.length < PAGE) break;
    }
    const running = new Map<string, Map<string, number>>();
    const ids = [...this.#running];
    for (let start = 0; start < ids.length; start += PAGE) {
      const outlines = await this.#registry.outlines(ids.slice(start, start + PAGE));
      for (const [index, outline] of outlines.entries()) this.#absorb(ids[start + index]!, outline, running);
    }
    return { ended: this.#ended, running, lastPublished: this.#lastPublished };
  }

  #absorb(id: string, outline: SyncOutline | null, running: Map<string, Map<string, number>>): void {
    if (outline === null) {
      this.#running.delete(id); // removed from the registry: nothing left to count
      return;
    }
    const { destChannel, status, finishedAt } = outline;
    if (!TERMINAL_STATUSES.has(status)) {
      bump(running, destChannel, status);
      return;
    }
    this.#running.delete(id);
    bump(this.#ended, destChannel, status);
    const ended = finishedAt === null ? Number.NaN : Date.parse(finishedAt) / 1000;
    if (PUBLISHED.has(status) && ended > (this.#lastPublished.get(destChannel) ?? 0)) {
      this.#lastPublished.set(destChannel, ended);
    }
  }
}
