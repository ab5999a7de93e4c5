import type { Redis } from 'ioredis';
import { type CleanReportView, CleanupStatus, type CleanupView } from './cleanup-view.ts';
import { type ConfigSeal, openStoredConfig } from './config-seal.ts';
import { DEFAULT_QUEUE_PREFIX } from './queues.ts';

/** How long an ended cleanup stays readable (GET /v1/cleanups/:id). */
const ENDED_TTL_SECONDS = 30 * 24 * 3600;

export interface CreateCleanupInput {
  id: string;
  destChannel: string;
  /** The resolved sync config; it may hold tokens, is sealed like a sync's and dropped at the end. */
  config: unknown;
  dryRun: boolean;
}

/**
 * Run state of cleanups in Redis, one hash each at `<prefix>:cleanup:<id>`. The channel lock they
 * share with syncs reads the `status` field there (sync-registry.ts, acquireChannelLock).
 */
export class CleanupRegistry {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #seal: ConfigSeal | null;

  constructor(redis: Redis, options: { prefix?: string; seal?: ConfigSeal | null } = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? DEFAULT_QUEUE_PREFIX;
    this.#seal = options.seal ?? null;
  }

  #key(id: string): string {
    return `${this.#prefix}:cleanup:${id}`;
  }

  async create(input: CreateCleanupInput): Promise<void> {
    const now = new Date().toISOString();
    const config = JSON.stringify(input.config);
    await this.#redis.hset(this.#key(input.id), {
      id: input.id,
      status: CleanupStatus.queued,
      destChannel: input.destChannel,
      dryRun: input.dryRun ? 1 : 0,
      config: this.#seal === null ? config : this.#seal.seal(config),
      createdAt: now,
      updatedAt: now,
    });
  }

  async config(id: string): Promise<unknown | null> {
    const text = await this.#redis.hget(this.#key(id), 'config');
    return text === null ? null : openStoredConfig(text, this.#seal);
  }

  async status(id: string): Promise<CleanupStatus | null> {
    return (await this.#redis.hget(this.#key(id), 'status')) as CleanupStatus | null;
  }

  async dryRun(id: string): Promise<boolean> {
    return (await this.#redis.hget(this.#key(id), 'dryRun')) === '1';
  }

  /** Marks it running; false when it already ended. */
  async start(id: string): Promise<boolean> {
    return this.#move(id, { status: CleanupStatus.running });
  }

  /** Ends it `succeeded` with its report; false when it already ended. */
  async succeed(id: string, report: CleanReportView): Promise<boolean> {
    return this.#move(id, { status: CleanupStatus.succeeded, report: JSON.stringify(report) }, true);
  }

  /** Ends it `failed` with the reason; false when it already ended. */
  async fail(id: string, reason: string): Promise<boolean> {
    return this.#move(id, { status: CleanupStatus.failed, error: reason }, true);
  }

  async #move(id: string, fields: Record<string, string>, ends = false): Promise<boolean> {
    const status = await this.status(id);
    if (status === null || status === CleanupStatus.succeeded || status === CleanupStatus.failed)
      return false;
    const now = new Date().toISOString();
    const multi = this.#redis.multi().hset(this.#key(id), { ...fields, updatedAt: now });
    // An ended cleanup needs its config no more (it may hold tokens), and its record only a while.
    if (ends)
      multi
        .hset(this.#key(id), 'finishedAt', now)
        .hdel(this.#key(id), 'config')
        .expire(this.#key(id), ENDED_TTL_SECONDS);
    await multi.exec();
    return true;
  }

  async get(id: string): Promise<CleanupView | null> {
    const hash = await this.#redis.hgetall(this.#key(id));
    if (hash['id'] === undefined) return null;
    return {
      id,
      status: hash['status'] as CleanupStatus,
      destChannel: hash['destChannel'] ?? '',
      dryRun: hash['dryRun'] === '1',
      createdAt: hash['createdAt'] ?? '',
      updatedAt: hash['updatedAt'] ?? '',
      finishedAt: hash['finishedAt'] ?? null,
      error: hash['error'] ?? null,
      report: hash['report'] === undefined ? null : (JSON.parse(hash['report']) as CleanReportView),
    };
  }
}
