import { Redis } from 'ioredis';

/**
 * A Redis connection for BullMQ and the sync registry. `maxRetriesPerRequest: null` is what
 * BullMQ workers require (blocking commands must wait through reconnects instead of failing).
 */
export function createRedisConnection(url: string, options: { name: string; lazyConnect?: boolean }): Redis {
  return new Redis(url, {
    connectionName: options.name,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: options.lazyConnect ?? false,
  });
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
