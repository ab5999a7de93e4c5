import { type SyncOutline, type SyncRegistry, TERMINAL_STATUSES } from '@condasync/queue';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';

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

/**
 * Sync outcomes and the age of each channel's last publication, derived from the sync registry
 * at scrape time (not from events this process saw), so they survive restarts. With several API
 * replicas every one reports the same numbers: aggregate with max, not sum.
 */
export function instrumentSyncOutcomes(
  app: FastifyInstance,
  registry: Registry,
): { observe(syncRegistry: SyncRegistry): void } {
  let tracker: SyncOutcomeTracker | null = null;
  // One registry read per scrape, shared by the three metrics below.
  let reading: Promise<SyncOutcomes | null> | null = null;
  const outcomes = (): Promise<SyncOutcomes | null> => {
    if (tracker === null) return Promise.resolve(null);
    reading ??= tracker
      .refresh()
      .catch((error: unknown) => {
        app.log.warn({ err: error }, 'cannot read the sync registry for /metrics');
        return null;
      })
      .finally(() => setImmediate(() => (reading = null)));
    return reading;
  };
  /** A collect() that refills the metric from this scrape's read (and keeps it when Redis is away). */
  const refill = <M extends Counter<string> | Gauge<string>>(fill: (metric: M, read: SyncOutcomes) => void) =>
    async function (this: M): Promise<void> {
      const read = await outcomes();
      if (read === null) return;
      this.reset();
      fill(this, read);
    };
  const registers = [registry];
  new Counter({
    name: 'condasync_syncs_total',
    help: 'Syncs ended, by destination channel and outcome (succeeded, partial, failed, cancelled), from the sync registry.',
    labelNames: ['channel', 'outcome'] as const,
    registers,
    collect: refill((metric, read) => {
      for (const [channel, byOutcome] of read.ended)
        for (const [outcome, count] of byOutcome) metric.inc({ channel, outcome }, count);
    }),
  });
  new Gauge({
    name: 'condasync_syncs_running',
    help: 'Syncs not yet ended, by destination channel and state (queued, planning, downloading, finalizing).',
    labelNames: ['channel', 'state'] as const,
    registers,
    collect: refill((metric, read) => {
      for (const [channel, byState] of read.running)
        for (const [state, count] of byState) metric.set({ channel, state }, count);
    }),
  });
  new Gauge({
    name: 'condasync_last_successful_sync_timestamp_seconds',
    help: 'Unix time the last sync that published each channel ended (succeeded, or partial: its metadata was published too).',
    labelNames: ['channel'] as const,
    registers,
    collect: refill((metric, read) => {
      for (const [channel, seconds] of read.lastPublished) metric.set({ channel }, seconds);
    }),
  });
  return {
    observe(syncRegistry) {
      tracker = new SyncOutcomeTracker(syncRegistry);
    },
  };
}
