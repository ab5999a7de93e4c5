import type { Redis } from 'ioredis';
import { type ConfigSeal, openStoredConfig } from './config-seal.ts';
import { DEFAULT_QUEUE_PREFIX } from './queues.ts';

/** When a schedule fires: a cron pattern (with an optional time zone) or a fixed interval. */
export interface ScheduleTiming {
  cron: string | null;
  /** Milliseconds between runs. */
  every: number | null;
  /** IANA time zone of the cron pattern; null: the server's. */
  tz: string | null;
}

/** What one firing of a schedule did. */
export interface ScheduleTick {
  at: string;
  outcome: 'started' | 'skipped' | 'failed';
  syncId?: string;
  reason?: string;
}

export interface ScheduleRecord {
  id: string;
  destChannel: string;
  timing: ScheduleTiming;
  createdAt: string;
  /** The sync the schedule started last; a tick waits (skips) while it runs. */
  lastSyncId: string | null;
  /** The latest ticks, newest first. */
  ticks: ScheduleTick[];
}

/** Ticks kept per schedule: enough to see a pattern of skips, bounded for every-second schedules. */
export const SCHEDULE_TICKS_KEPT = 20;

/**
 * The schedules in Redis, beside the sync registry: one hash per schedule (its config sealed as
 * the registry seals a sync's), a capped list of its latest ticks, and a set of the ids. BullMQ's
 * job scheduler decides when a schedule fires; this says what it runs and what it did.
 */
export class ScheduleStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #seal: ConfigSeal | null;

  constructor(redis: Redis, options: { prefix?: string; seal?: ConfigSeal | null } = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? DEFAULT_QUEUE_PREFIX;
    this.#seal = options.seal ?? null;
  }

  #key(id: string): string {
    return `${this.#prefix}:schedule:${id}`;
  }

  #ticks(id: string): string {
    return `${this.#prefix}:schedule:${id}:ticks`;
  }

  get #ids(): string {
    return `${this.#prefix}:schedules`;
  }

  /** Creates or replaces a schedule; its ticks and last sync survive a replacement. */
  async save(input: {
    id: string;
    destChannel: string;
    config: unknown;
    timing: ScheduleTiming;
  }): Promise<void> {
    const configText = JSON.stringify(input.config);
    await this.#redis
      .multi()
      .hset(this.#key(input.id), {
        destChannel: input.destChannel,
        config: this.#seal === null ? configText : this.#seal.seal(configText),
        timing: JSON.stringify(input.timing),
      })
      .hsetnx(this.#key(input.id), 'createdAt', new Date().toISOString())
      .sadd(this.#ids, input.id)
      .exec();
  }

  async get(id: string): Promise<ScheduleRecord | null> {
    const [fields, ticks] = await Promise.all([
      this.#redis.hgetall(this.#key(id)),
      this.#redis.lrange(this.#ticks(id), 0, SCHEDULE_TICKS_KEPT - 1),
    ]);
    if (fields['destChannel'] === undefined) return null;
    return {
      id,
      destChannel: fields['destChannel'],
      timing: JSON.parse(fields['timing'] ?? '{}') as ScheduleTiming,
      createdAt: fields['createdAt'] ?? '',
      lastSyncId: fields['lastSyncId'] ?? null,
      ticks: ticks.map((tick) => JSON.parse(tick) as ScheduleTick),
    };
  }

  /** Every schedule, by id. */
  async list(): Promise<ScheduleRecord[]> {
    const ids = (await this.#redis.smembers(this.#ids)).sort();
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((record): record is ScheduleRecord => record !== null);
  }

  /** The config a tick submits; null when the schedule is gone. */
  async config(id: string): Promise<unknown | null> {
    const text = await this.#redis.hget(this.#key(id), 'config');
    return text === null ? null : openStoredConfig(text, this.#seal);
  }

  /** False when there was no such schedule. */
  async remove(id: string): Promise<boolean> {
    const [[, removed] = []] =
      (await this.#redis.multi().del(this.#key(id)).del(this.#ticks(id)).srem(this.#ids, id).exec()) ?? [];
    return removed === 1;
  }

  /**
   * Appends a tick (keeping the latest SCHEDULE_TICKS_KEPT); a started sync becomes the last sync.
   * A schedule deleted meanwhile gets nothing recorded.
   */
  async recordTick(id: string, tick: ScheduleTick): Promise<void> {
    if ((await this.#redis.exists(this.#key(id))) === 0) return;
    const multi = this.#redis
      .multi()
      .lpush(this.#ticks(id), JSON.stringify(tick))
      .ltrim(this.#ticks(id), 0, SCHEDULE_TICKS_KEPT - 1);
    if (tick.syncId !== undefined && tick.outcome === 'started')
      multi.hset(this.#key(id), 'lastSyncId', tick.syncId);
    await multi.exec();
  }
}
