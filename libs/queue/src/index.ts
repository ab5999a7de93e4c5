/** The contract shared by the API (producer) and the workers (consumers). */
export {
  checkRedisPolicy,
  closeRedis,
  createRedisConnection,
  isRedisConnectionError,
  REDIS_RETRY_INTERVAL_MS,
  RedisOutageReporter,
  type RedisPolicyCheck,
  settlesWithin,
} from './connection.ts';
export * from './queues.ts';
export { type CreateSyncInput, type PackageEnd, type PlannedSubdir, SyncRegistry } from './sync-registry.ts';
export * from './sync-view.ts';
