/** The contract shared by the API (producer) and the workers (consumers). */

export {
  CLEAN_JOB_OPTIONS,
  type CleanJobData,
  CleanupLifecycle,
  cleanJobId,
  newCleanupId,
} from './cleanup-lifecycle.ts';
export { CleanupRegistry, type CreateCleanupInput } from './cleanup-registry.ts';
export * from './cleanup-view.ts';
export { ConfigSeal, ConfigSealError, isSealed } from './config-seal.ts';
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
export { QueueError, QueueErrorCode } from './errors.ts';
export {
  bundleKeyProblem,
  IMPORT_ID_PATTERN,
  IMPORT_JOB_OPTIONS,
  IMPORT_QUEUE,
  type ImportJobData,
  newImportId,
} from './import-jobs.ts';
export { type ChannelLockHolderKind, IMPORT_ID_PREFIX, JOB_HOLDER_KINDS } from './lock-holders.ts';
export {
  announcePublished,
  type PublishNotice,
  parsePublishNotice,
  publishNoticeTopic,
} from './publish-notices.ts';
export * from './queues.ts';
export { isRedisUrl, parseRedisUrl, type RedisTarget, redactRedisUrl, redisUrlProblem } from './redis-url.ts';
export { removeSyncJobs, removeWaitingJobs } from './remove-jobs.ts';
export { type ChannelHolder, RollbackLock } from './rollback-lock.ts';
export {
  SCHEDULE_TICKS_KEPT,
  type ScheduleRecord,
  ScheduleStore,
  type ScheduleTick,
  type ScheduleTiming,
} from './schedule-store.ts';
export {
  MIN_EVERY_MS,
  runScheduleTick,
  SCHEDULE_ID_PATTERN,
  SCHEDULE_QUEUE_NAME,
  type ScheduleJobData,
  Schedules,
  type ScheduleTimingInput,
  type ScheduleView,
  scheduleTimingProblems,
  toTiming,
} from './schedules.ts';
export {
  CHANNEL_LOCK_RETRY_MS,
  CHANNEL_LOCK_TTL_MS,
  FINALIZE_JOB_OPTIONS,
  isLastAttempt,
  PLAN_JOB_OPTIONS,
  packageJobOptions,
  type SubmitInput,
  SyncLifecycle,
  type SyncQueues,
} from './sync-lifecycle.ts';
export {
  type CreateSyncInput,
  type PackageEnd,
  type PlannedSubdir,
  type SyncOutline,
  SyncRegistry,
} from './sync-registry.ts';
export * from './sync-view.ts';
export {
  openJobConfig,
  sealJobConfig,
  VERIFY_JOB_OPTIONS,
  VERIFY_QUEUE,
  type VerifyJobData,
} from './verify-jobs.ts';
