/** The contract shared by the API (producer) and the workers (consumers). */
export {
  checkRedisPolicy,
  closeRedis,
  createRedisConnection,
  isRedisConnectionError,
  REDIS_FAIL_FAST_COMMAND_TIMEOUT_MS,
  REDIS_RETRY_INTERVAL_MS,
  type RedisConnectionOptions,
  RedisOutageReporter,
  type RedisPolicyCheck,
  settlesWithin,
} from './connection.ts';
export * from './queues.ts';
export { type CreateSyncInput, type PackageEnd, type PlannedSubdir, SyncRegistry } from './sync-registry.ts';
export * from './sync-view.ts';
