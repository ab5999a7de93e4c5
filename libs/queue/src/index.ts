/** The contract shared by the API (producer) and the workers (consumers). */
export { checkRedisPolicy, createRedisConnection, type RedisPolicyCheck } from './connection.ts';
export * from './queues.ts';
export { type CreateSyncInput, type PackageEnd, type PlannedSubdir, SyncRegistry } from './sync-registry.ts';
export * from './sync-view.ts';
