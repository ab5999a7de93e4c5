import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CLEANUP_ID_PREFIX } from './cleanup-view.ts';
import { type ConfigSeal, openStoredConfig } from './config-seal.ts';
import { type ChannelLockHolderKind, JOB_HOLDER_KINDS } from './lock-holders.ts';
import { DEFAULT_QUEUE_PREFIX } from './queues.ts';
import {
  type CollisionView,
  type FailureView,
  type InstallerDirView,
  type SubdirProgress,
  type SyncStatus,
  type SyncView,
  TERMINAL_STATUSES,
} from './sync-view.ts';

const MAX_FAILURES_KEPT = 50;

/*
 * Run state of syncs in Redis. Redis is not the source of truth for what is published (storage
 * is); this is progress and bookkeeping: which package jobs have ended, so that the last one to
 * end triggers the finalize job exactly once, even when jobs are retried after a crash.
 */

// KEYS: subdir hash, done set, failed hash, sync hash, failures list.
// ARGV: filename, outcome ('downloaded'|'failed'), bytes, failure JSON, max failures kept, now.
// Returns the subdir's pending count after this call, or -1 when the package had already ended.
const FINISH_PACKAGE = `
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return -1 end
local pending = redis.call('HINCRBY', KEYS[1], 'pending', -1)
if ARGV[2] == 'downloaded' then
  redis.call('HINCRBY', KEYS[1], 'downloaded', 1)
  redis.call('HINCRBY', KEYS[1], 'bytesDownloaded', tonumber(ARGV[3]))
  redis.call('HINCRBY', KEYS[4], 'downloaded', 1)
  redis.call('HINCRBY', KEYS[4], 'bytesDownloaded', tonumber(ARGV[3]))
else
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[4])
  redis.call('HINCRBY', KEYS[1], 'failed', 1)
  redis.call('HINCRBY', KEYS[4], 'failed', 1)
  if redis.call('LLEN', KEYS[5]) < tonumber(ARGV[5]) then redis.call('RPUSH', KEYS[5], ARGV[4]) end
end
if pending <= 0 then redis.call('HSET', KEYS[1], 'status', 'finalizing') end
-- The sync as a whole is finalizing once no package job of any subdir is left.
local left = redis.call('HINCRBY', KEYS[4], 'pendingPackages', -1)
if left <= 0 and redis.call('HGET', KEYS[4], 'status') == 'downloading' then
  redis.call('HSET', KEYS[4], 'status', 'finalizing')
end
redis.call('HSET', KEYS[4], 'updatedAt', ARGV[6])
return pending
`;

// KEYS: sync hash, finalized set, subdir hash. ARGV: subdir, published count, now.
// Returns {1 when this call counted the subdir (0 when it was already), subdirs remaining}.
const FINISH_SUBDIR = `
local counted = redis.call('SADD', KEYS[2], ARGV[1])
local remaining
if counted == 1 then
  redis.call('HSET', KEYS[3], 'status', 'published', 'published', ARGV[2])
  remaining = redis.call('HINCRBY', KEYS[1], 'subdirsRemaining', -1)
  redis.call('HSET', KEYS[1], 'updatedAt', ARGV[3])
else
  remaining = tonumber(redis.call('HGET', KEYS[1], 'subdirsRemaining') or '0')
end
return {counted, remaining}
`;

// KEYS: sync hash. ARGV: now. Ends a sync that neither failed nor was cancelled: partial when a
// package failed, succeeded otherwise. Returns 1 when this call ended it.
const COMPLETE_SYNC = `
local status = redis.call('HGET', KEYS[1], 'status')
if status == false or status == 'succeeded' or status == 'partial' or status == 'failed' or status == 'cancelled' then
  return 0
end
local failed = tonumber(redis.call('HGET', KEYS[1], 'failed') or '0') + tonumber(redis.call('HGET', KEYS[1], 'installersFailed') or '0')
redis.call('HSET', KEYS[1], 'status', failed > 0 and 'partial' or 'succeeded', 'finishedAt', ARGV[1], 'updatedAt', ARGV[1])
return 1
`;

export interface CreateSyncInput {
  id: string;
  destChannel: string;
  /** The resolved sync config as JSON; it may hold tokens and is never returned by the API. */
  config: unknown;
}

export interface PlannedSubdir {
  subdir: string;
  selected: number;
  planned: number;
  skipped: number;
  bytesPlanned: number;
}

/** What metrics need of a sync: where it publishes, how it stands, when it ended. */
export interface SyncOutline {
  id: string;
  destChannel: string;
  status: SyncStatus;
  /** ISO time the sync ended; null while it runs. */
  finishedAt: string | null;
}

export type PackageEnd =
  | { status: 'downloaded'; bytes: number }
  | { status: 'failed'; code: string; reason: string };

export class SyncRegistry {
  readonly #redis: Redis;
  readonly #prefix: string;

  readonly #seal: ConfigSeal | null;

  /**
   * `seal`: stored configs are sealed with it (they may hold upstream tokens, which must not rest
   * in Redis in clear) and opened with it; without one they are stored as JSON.
   */
  constructor(redis: Redis, options: { prefix?: string; seal?: ConfigSeal | null } = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? DEFAULT_QUEUE_PREFIX;
    this.#seal = options.seal ?? null;
  }

  /** Whether stored configs are sealed (the API refuses configs with credentials otherwise). */
  get seals(): boolean {
    return this.#seal !== null;
  }

  #sync(id: string): string {
    return `${this.#prefix}:sync:${id}`;
  }
  #subdir(id: string, subdir: string): string {
    return `${this.#sync(id)}:subdir:${subdir}`;
  }

  async create(input: CreateSyncInput): Promise<void> {
    const now = new Date().toISOString();
    await this.#redis
      .multi()
      .hset(this.#sync(input.id), {
        id: input.id,
        status: 'queued',
        destChannel: input.destChannel,
        config:
          this.#seal === null ? JSON.stringify(input.config) : this.#seal.seal(JSON.stringify(input.config)),
        createdAt: now,
        updatedAt: now,
        planned: 0,
        downloaded: 0,
        skipped: 0,
        failed: 0,
        bytesPlanned: 0,
        bytesDownloaded: 0,
      })
      // A sequence, not the clock, orders the list: two syncs in one millisecond keep their order.
      .eval(
        "redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[1]), ARGV[1])",
        2,
        `${this.#prefix}:syncs:seq`,
        `${this.#prefix}:syncs`,
        input.id,
      )
      .exec();
  }

  /**
   * Claims an idempotency key for sync `id` of a config with this fingerprint, for `ttlMs`.
   * Returns null when this call claimed it, else what an earlier submission claimed it with.
   */
  async claimIdempotencyKey(
    key: string,
    claim: { id: string; fingerprint: string },
    ttlMs: number,
  ): Promise<{ id: string; fingerprint: string } | null> {
    const value = `${claim.id} ${claim.fingerprint}`;
    const earlier = (await this.#redis.set(this.#idempotency(key), value, 'PX', ttlMs, 'NX', 'GET')) as
      | string
      | null;
    if (earlier === null) return null;
    const [id = '', fingerprint = ''] = earlier.split(' ');
    return { id, fingerprint };
  }

  /** Gives up a claim whose submission failed, so that a retry with the same key can run. */
  async releaseIdempotencyKey(key: string, id: string): Promise<void> {
    await this.#redis.eval(
      "if string.find(redis.call('GET', KEYS[1]) or '', ARGV[1], 1, true) == 1 then return redis.call('DEL', KEYS[1]) end return 0",
      1,
      this.#idempotency(key),
      `${id} `,
    );
  }

  #idempotency(key: string): string {
    // Hashed: keys are client text of up to 255 characters, never a Redis key as they are.
    return `${this.#prefix}:idempotency:${createHash('sha256').update(key).digest('hex')}`;
  }

  async config(id: string): Promise<unknown | null> {
    const text = await this.#redis.hget(this.#sync(id), 'config');
    return text === null ? null : openStoredConfig(text, this.#seal);
  }

  async status(id: string): Promise<SyncStatus | null> {
    return (await this.#redis.hget(this.#sync(id), 'status')) as SyncStatus | null;
  }

  /** Moves a sync to `status` unless it already ended (a cancelled sync stays cancelled). */
  async setStatus(id: string, status: SyncStatus, error?: string): Promise<boolean> {
    const current = await this.status(id);
    if (current === null || TERMINAL_STATUSES.has(current)) return false;
    const now = new Date().toISOString();
    const fields: Record<string, string> = { status, updatedAt: now };
    if (status === 'planning') fields['startedAt'] = now;
    if (TERMINAL_STATUSES.has(status)) fields['finishedAt'] = now;
    if (error !== undefined) fields['error'] = error;
    await this.#redis.hset(this.#sync(id), fields);
    return true;
  }

  /**
   * Records the plan's per-subdir counts (every subdir starts with `pending = planned`) and the
   * filename collisions between its channels (the first MAX_FAILURES_KEPT with both sources).
   */
  async recordPlan(
    id: string,
    subdirs: readonly PlannedSubdir[],
    collisions: readonly CollisionView[] = [],
  ): Promise<void> {
    const multi = this.#redis.multi();
    let planned = 0;
    let skipped = 0;
    let bytes = 0;
    for (const s of subdirs) {
      multi.hset(this.#subdir(id, s.subdir), {
        subdir: s.subdir,
        status: s.planned === 0 ? 'finalizing' : 'downloading',
        selected: s.selected,
        planned: s.planned,
        pending: s.planned,
        downloaded: 0,
        skipped: s.skipped,
        failed: 0,
        bytesPlanned: s.bytesPlanned,
        bytesDownloaded: 0,
        published: 0,
      });
      planned += s.planned;
      skipped += s.skipped;
      bytes += s.bytesPlanned;
    }
    multi.del(`${this.#sync(id)}:collisions`);
    const keptCollisions = collisions
      .slice(0, MAX_FAILURES_KEPT)
      .map(({ subdir, filename, kept, dropped }) => JSON.stringify({ subdir, filename, kept, dropped }));
    if (keptCollisions.length > 0) multi.rpush(`${this.#sync(id)}:collisions`, ...keptCollisions);
    multi.del(`${this.#sync(id)}:subdirs`);
    if (subdirs.length > 0) multi.rpush(`${this.#sync(id)}:subdirs`, ...subdirs.map((s) => s.subdir));
    multi.hset(this.#sync(id), {
      planned,
      skipped,
      bytesPlanned: bytes,
      subdirsRemaining: subdirs.length,
      pendingPackages: planned,
      collisions: collisions.length,
      planRecorded: 1,
      updatedAt: new Date().toISOString(),
    });
    await multi.exec();
  }

  /** True once `recordPlan` ran: a retried plan job must then not reset the counters. */
  async planRecorded(id: string): Promise<boolean> {
    return (await this.#redis.hget(this.#sync(id), 'planRecorded')) === '1';
  }

  /** The subdirs of a recorded plan, in plan order. */
  async subdirs(id: string): Promise<string[]> {
    return this.#redis.lrange(`${this.#sync(id)}:subdirs`, 0, -1);
  }

  /**
   * Marks one package job as ended. Idempotent per (sync, subdir, filename): a job retried after a
   * crash is not counted twice. `last` is true for exactly one call per subdir: the one that
   * brought `pending` to zero, which must enqueue the finalize job.
   */
  async finishPackage(
    id: string,
    subdir: string,
    filename: string,
    end: PackageEnd,
  ): Promise<{ counted: boolean; last: boolean }> {
    const failure: FailureView | null =
      end.status === 'failed' ? { subdir, filename, code: end.code, reason: end.reason } : null;
    const result = (await this.#redis.eval(
      FINISH_PACKAGE,
      5,
      this.#subdir(id, subdir),
      `${this.#subdir(id, subdir)}:done`,
      `${this.#subdir(id, subdir)}:failed`,
      this.#sync(id),
      `${this.#sync(id)}:failures`,
      filename,
      end.status,
      end.status === 'downloaded' ? end.bytes : 0,
      failure === null ? '' : JSON.stringify(failure),
      MAX_FAILURES_KEPT,
      new Date().toISOString(),
    )) as number;
    return { counted: result >= 0, last: result === 0 };
  }

  async failedFilenames(id: string, subdir: string): Promise<Set<string>> {
    return new Set(await this.#redis.hkeys(`${this.#subdir(id, subdir)}:failed`));
  }

  /**
   * Marks a subdir published (once, however often its finalize job runs). `remaining` is the count
   * of subdirs still unpublished, also for a repeated call: when it is 0, the caller ends the sync
   * (channel metadata, then `completeSync`), which is safe to repeat after a crash.
   */
  async finishSubdir(
    id: string,
    subdir: string,
    published: number,
  ): Promise<{ counted: boolean; remaining: number }> {
    const [counted, remaining] = (await this.#redis.eval(
      FINISH_SUBDIR,
      3,
      this.#sync(id),
      `${this.#sync(id)}:finalized`,
      this.#subdir(id, subdir),
      subdir,
      published,
      new Date().toISOString(),
    )) as [number, number];
    return { counted: counted === 1, remaining: Math.max(0, remaining) };
  }

  /**
   * Records what the installers step did (fetch_installers). Failed installers and unreadable
   * folders make the sync `partial` when it completes, as failed packages do.
   */
  async recordInstallers(id: string, dirs: readonly InstallerDirView[]): Promise<void> {
    const failed = dirs.reduce((n, dir) => n + dir.failed.length + (dir.error === undefined ? 0 : 1), 0);
    await this.#redis.hset(this.#sync(id), {
      installers: JSON.stringify(dirs),
      installersFailed: failed,
      updatedAt: new Date().toISOString(),
    });
  }

  /**
   * Ends a sync whose every subdir is published: `partial` when some package failed, `succeeded`
   * otherwise. Called last, so a sync reads as ended only once its channel is complete. A failed or
   * cancelled sync keeps its status. Returns true when this call ended it.
   */
  async completeSync(id: string): Promise<boolean> {
    return (await this.#redis.eval(COMPLETE_SYNC, 1, this.#sync(id), new Date().toISOString())) === 1;
  }

  /**
   * Cancels a sync that has not ended, and frees its channel for the next sync (a cancelled sync
   * publishes nothing, so the lock has nothing left to protect). Returns false when it does not
   * exist or already ended.
   */
  async cancel(id: string): Promise<boolean> {
    return this.#end(id, 'cancelled');
  }

  /**
   * Ends a sync `failed` with the reason, and frees its channel (a failed sync publishes nothing
   * more). Returns false when it does not exist or already ended.
   */
  async fail(id: string, reason: string): Promise<boolean> {
    return this.#end(id, 'failed', reason);
  }

  async #end(id: string, status: 'cancelled' | 'failed', reason?: string): Promise<boolean> {
    const ended = await this.setStatus(id, status, reason);
    if (ended) {
      const destChannel = await this.#redis.hget(this.#sync(id), 'destChannel');
      if (destChannel !== null) await this.releaseChannelLock(destChannel, id);
    }
    return ended;
  }

  async get(id: string): Promise<SyncView | null> {
    const hash = await this.#redis.hgetall(this.#sync(id));
    if (hash['id'] === undefined) return null;
    const subdirNames = await this.#redis.lrange(`${this.#sync(id)}:subdirs`, 0, -1);
    const subdirs: SubdirProgress[] = [];
    for (const name of subdirNames) {
      const s = await this.#redis.hgetall(this.#subdir(id, name));
      subdirs.push({
        subdir: name,
        status: (s['status'] ?? 'downloading') as SubdirProgress['status'],
        selected: num(s['selected']),
        planned: num(s['planned']),
        pending: num(s['pending']),
        downloaded: num(s['downloaded']),
        skipped: num(s['skipped']),
        failed: num(s['failed']),
        bytesPlanned: num(s['bytesPlanned']),
        bytesDownloaded: num(s['bytesDownloaded']),
        published: num(s['published']),
      });
    }
    const failures = (await this.#redis.lrange(`${this.#sync(id)}:failures`, 0, MAX_FAILURES_KEPT - 1)).map(
      (text) => JSON.parse(text) as FailureView,
    );
    const collisions = (await this.#redis.lrange(`${this.#sync(id)}:collisions`, 0, -1)).map(
      (text) => JSON.parse(text) as CollisionView,
    );
    return {
      id,
      status: hash['status'] as SyncStatus,
      destChannel: hash['destChannel'] ?? '',
      createdAt: hash['createdAt'] ?? '',
      updatedAt: hash['updatedAt'] ?? '',
      startedAt: hash['startedAt'] ?? null,
      finishedAt: hash['finishedAt'] ?? null,
      error: hash['error'] ?? null,
      counts: {
        planned: num(hash['planned']),
        downloaded: num(hash['downloaded']),
        skipped: num(hash['skipped']),
        failed: num(hash['failed']),
      },
      bytes: { planned: num(hash['bytesPlanned']), downloaded: num(hash['bytesDownloaded']) },
      subdirs,
      failures,
      collisions: { total: num(hash['collisions']), first: collisions },
      ...(hash['installers'] === undefined
        ? {}
        : { installers: JSON.parse(hash['installers']) as InstallerDirView[] }),
    };
  }

  /** Newest first, paged by an opaque cursor. */
  async list(options: {
    limit: number;
    cursor?: string;
  }): Promise<{ items: SyncView[]; nextCursor: string | null }> {
    const start = options.cursor === undefined ? 0 : Number(options.cursor);
    const ids = await this.#redis.zrevrange(`${this.#prefix}:syncs`, start, start + options.limit - 1);
    const items: SyncView[] = [];
    for (const id of ids) {
      const view = await this.get(id);
      if (view) items.push(view);
    }
    return { items, nextCursor: ids.length === options.limit ? String(start + options.limit) : null };
  }

  /**
   * One sync per destination channel at a time (docs/design.md §5, invariant 6): the lock holder plans and
   * publishes; another sync of the same channel waits for it. The TTL frees the lock of a crashed holder.
   */
  async acquireChannelLock(destChannel: string, syncId: string, ttlMs: number): Promise<boolean> {
    const key = `${this.#prefix}:lock:channel:${destChannel}`;
    const result = await this.#redis.set(key, syncId, 'PX', ttlMs, 'NX');
    if (result === 'OK') return true;
    const holder = await this.#redis.get(key);
    // Re-entrant for the same sync (a retried plan job, a finalize of the holder).
    if (holder === syncId) {
      await this.#redis.pexpire(key, ttlMs);
      return true;
    }
    // A holder that ended (or vanished) without releasing cannot publish any more: take over.
    const holderStatus = holder === null ? null : await this.#holderStatus(holder);
    if (holder !== null && (holderStatus === null || TERMINAL_STATUSES.has(holderStatus))) {
      await this.releaseChannelLock(destChannel, holder);
      return (await this.#redis.set(key, syncId, 'PX', ttlMs, 'NX')) === 'OK';
    }
    return false;
  }

  /** A lock holder is a sync or a cleanup (cleanup-registry.ts); each keeps its status in its own hash. */
  async #holderStatus(holder: string): Promise<SyncStatus | null> {
    const jobHolder = JOB_HOLDER_KINDS.find((kind) => holder.startsWith(kind.prefix));
    if (jobHolder !== undefined) return (await this.#redis.get(this.#jobHolder(holder))) as SyncStatus | null;
    const key = holder.startsWith(CLEANUP_ID_PREFIX)
      ? `${this.#prefix}:cleanup:${holder}`
      : this.#sync(holder);
    return (await this.#redis.hget(key, 'status')) as SyncStatus | null;
  }

  #jobHolder(holder: string): string {
    return `${this.#prefix}:lock-holder:${holder}`;
  }

  /**
   * Takes the channel lock for a job that has no registry record of its own (an import): the job
   * is marked `running` for as long as the lock lives, so another writer waits for it instead of
   * taking over, and a holder that died is taken over once both expire. Re-entrant like a sync's.
   */
  async acquireChannelLockForJob(destChannel: string, holder: string, ttlMs: number): Promise<boolean> {
    if (!JOB_HOLDER_KINDS.some((kind) => holder.startsWith(kind.prefix)))
      throw new Error(`'${holder}' is not a job lock holder id`);
    await this.#redis.set(this.#jobHolder(holder), 'running', 'PX', ttlMs);
    const acquired = await this.acquireChannelLock(destChannel, holder, ttlMs);
    if (!acquired) await this.#redis.del(this.#jobHolder(holder));
    return acquired;
  }

  /** Frees a job's channel lock and its `running` mark. */
  async releaseChannelLockForJob(destChannel: string, holder: string): Promise<void> {
    await this.releaseChannelLock(destChannel, holder);
    await this.#redis.del(this.#jobHolder(holder));
  }

  /** What holds the channel's lock (a sync, a cleanup or an import) and its status; null when it is free. */
  async channelLockHolder(
    destChannel: string,
  ): Promise<{ id: string; kind: ChannelLockHolderKind; status: SyncStatus | null } | null> {
    const id = await this.#redis.get(`${this.#prefix}:lock:channel:${destChannel}`);
    if (id === null) return null;
    const kind =
      JOB_HOLDER_KINDS.find((holder) => id.startsWith(holder.prefix))?.kind ??
      (id.startsWith(CLEANUP_ID_PREFIX) ? 'cleanup' : 'sync');
    return { id, kind, status: await this.#holderStatus(id) };
  }

  async releaseChannelLock(destChannel: string, syncId: string): Promise<void> {
    const key = `${this.#prefix}:lock:channel:${destChannel}`;
    await this.#redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
      1,
      key,
      syncId,
    );
  }

  /**
   * Syncs registered after `position` in submission order, oldest first, with their positions:
   * lets a reader (the API's metrics) follow new syncs without re-reading old ones.
   */
  async registeredAfter(position: number, limit: number): Promise<Array<{ id: string; position: number }>> {
    const flat = await this.#redis.zrangebyscore(
      `${this.#prefix}:syncs`,
      `(${position}`,
      '+inf',
      'WITHSCORES',
      'LIMIT',
      0,
      limit,
    );
    const found: Array<{ id: string; position: number }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) found.push({ id: flat[i]!, position: Number(flat[i + 1]) });
    return found;
  }

  /** Status, destination channel and end time of each sync (null where it no longer exists), in one round trip. */
  async outlines(ids: readonly string[]): Promise<Array<SyncOutline | null>> {
    if (ids.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hmget(this.#sync(id), 'status', 'destChannel', 'finishedAt');
    const replies = (await pipeline.exec()) ?? [];
    return ids.map((id, index) => {
      const [error, fields] = replies[index] ?? [null, null];
      if (error) throw error;
      const [status, destChannel, finishedAt] = (fields ?? []) as Array<string | null>;
      if (!status || destChannel === null || destChannel === undefined) return null;
      return { id, status: status as SyncStatus, destChannel, finishedAt: finishedAt ?? null };
    });
  }
}

function num(value: string | undefined): number {
  return value === undefined ? 0 : Number(value);
}
