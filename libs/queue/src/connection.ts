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
}

/**
 * DESIGN §7: Redis must not evict keys (a lost job key loses a package) and must persist with AOF.
 * Used by /readyz and at worker start.
 */
export async function checkRedisPolicy(redis: Redis): Promise<RedisPolicyCheck> {
  const problems: string[] = [];
  const policy = (await redis.config('GET', 'maxmemory-policy')) as string[];
  if (policy[1] !== 'noeviction') problems.push(`maxmemory-policy is ${policy[1]}, expected noeviction`);
  const aof = (await redis.config('GET', 'appendonly')) as string[];
  if (aof[1] !== 'yes') problems.push(`appendonly is ${aof[1]}, expected yes`);
  return { ok: problems.length === 0, problems };
}
