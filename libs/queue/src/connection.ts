import { Redis } from 'ioredis';
import { parseRedisUrl, redactRedisUrl } from './redis-url.ts';

/** How often a lost Redis is tried again, and at most how often its absence is logged. */
export const REDIS_RETRY_INTERVAL_MS = 2000;

/** With `failFast`, a command Redis has not answered after this fails (a paused or stuck server). */
export const REDIS_FAIL_FAST_COMMAND_TIMEOUT_MS = 3000;

export interface RedisConnectionOptions {
  name: string;
  lazyConnect?: boolean;
  /**
   * For request handlers (the API): a command issued while Redis is unreachable fails at once
   * instead of waiting in ioredis' offline queue, where it would run whenever Redis came back,
   * long after the client gave up; one Redis does not answer fails after
   * REDIS_FAIL_FAST_COMMAND_TIMEOUT_MS. Workers must not use it: their blocking commands wait.
   */
  failFast?: boolean;
}

/**
 * A Redis connection for BullMQ and the sync registry. `maxRetriesPerRequest: null` is what
 * BullMQ workers require (blocking commands must wait through reconnects instead of failing).
 * A lost connection is retried for ever, backing off to one attempt per REDIS_RETRY_INTERVAL_MS.
 */
export function createRedisConnection(url: string, options: RedisConnectionOptions): Redis {
  // A Sentinel URL (redis+sentinel://…) becomes ioredis's sentinels + name options: see redis-url.ts.
  const target = parseRedisUrl(url);
  const common = {
    connectionName: options.name,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: options.lazyConnect ?? false,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, REDIS_RETRY_INTERVAL_MS),
    ...(options.failFast === true
      ? { enableOfflineQueue: false, commandTimeout: REDIS_FAIL_FAST_COMMAND_TIMEOUT_MS }
      : {}),
  };
  return target.kind === 'direct'
    ? new Redis(target.url, common)
    : new Redis({ ...target.options, ...common });
}

/**
 * Turns the stream of connection errors of an unreachable Redis (ioredis emits one per attempt,
 * BullMQ forwards its own) into at most one readable line per retry interval naming the URL with
 * its password redacted, and one line when Redis answers again. Without an `error` listener
 * ioredis prints every attempt's stack trace.
 */
export class RedisOutageReporter {
  readonly #shownUrl: string;
  readonly #report: (line: string, state: 'down' | 'up') => void;
  readonly #intervalMs: number;
  #lastReportAt = Number.NEGATIVE_INFINITY;
  #down = false;

  constructor(
    url: string,
    report: (line: string, state: 'down' | 'up') => void,
    intervalMs: number = REDIS_RETRY_INTERVAL_MS,
  ) {
    this.#shownUrl = redactRedisUrl(url);
    this.#report = report;
    this.#intervalMs = intervalMs;
  }

  /** Reports a connection's errors and recoveries from now on. */
  watch(redis: Redis): this {
    redis.on('error', (error: unknown) => this.error(error));
    redis.on('ready', () => this.ready());
    return this;
  }

  get down(): boolean {
    return this.#down;
  }

  error(error: unknown): void {
    this.#down = true;
    const now = Date.now();
    if (now - this.#lastReportAt < this.#intervalMs) return;
    this.#lastReportAt = now;
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    this.#report(
      `Redis at ${this.#shownUrl} is unreachable (${message}); retrying every ${this.#intervalMs / 1000} s`,
      'down',
    );
  }

  ready(): void {
    if (!this.#down) return;
    this.#down = false;
    this.#lastReportAt = Number.NEGATIVE_INFINITY;
    this.#report(`Redis at ${this.#shownUrl} answers again`, 'up');
  }
}

/** Errors that mean "Redis is not there" rather than a failed command. */
export function isRedisConnectionError(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN', 'EPIPE'].includes(
      code ?? '',
    ) ||
    /Connection is closed|connect ETIMEDOUT|Stream isn't writeable|Command timed out/i.test(message ?? '')
  );
}

/** Resolves true when `promise` settles (either way) within `ms`, false otherwise. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * QUIT when Redis answers, within `ms`; otherwise (or past `ms`) drop the connection. QUIT on a
 * connection that is reconnecting waits in the offline queue for ever.
 */
export async function closeRedis(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready' && (await settlesWithin(redis.quit(), ms))) return;
  redis.disconnect();
}

export interface RedisPolicyCheck {
  ok: boolean;
  problems: string[];
  /**
   * Set when the server refuses CONFIG GET, as managed Redis (ElastiCache, Memorystore, Azure
   * Cache) does: the policy cannot be read, so it is trusted, and this says what to make sure of.
   */
  unverified?: string;
}

/** Replies of a server that has CONFIG disabled, renamed or denied by ACL. */
const CONFIG_REFUSED = /unknown command|NOPERM|no permissions/i;

/**
 * docs/design.md §8: Redis must not evict keys (a lost job key loses a package) and must persist with AOF.
 * Used by /readyz and at worker start. A server that refuses CONFIG GET is not failed for it:
 * managed services configure these in their own console, which we cannot see.
 */
export async function checkRedisPolicy(redis: Redis): Promise<RedisPolicyCheck> {
  let policy: string[];
  let aof: string[];
  try {
    policy = (await redis.config('GET', 'maxmemory-policy')) as string[];
    aof = (await redis.config('GET', 'appendonly')) as string[];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!CONFIG_REFUSED.test(message)) throw error;
    return {
      ok: true,
      problems: [],
      unverified:
        `Redis refuses CONFIG GET (${message.split('\n')[0]}), so its policy cannot be checked: ` +
        "make sure the provider's settings say maxmemory-policy noeviction and AOF persistence",
    };
  }
  const problems: string[] = [];
  if (policy[1] !== 'noeviction') problems.push(`maxmemory-policy is ${policy[1]}, expected noeviction`);
  if (aof[1] !== 'yes') problems.push(`appendonly is ${aof[1]}, expected yes`);
  return { ok: problems.length === 0, problems };
}
