/** The mirroring engine: sync config, upstream client and the steps, shared by the CLI and the workers. */
export * from './config/index.ts';
// The one table of log-level aliases (cas-sync's names and numbers); the CLI's -l takes it too.
export { LOG_LEVEL_ALIASES } from './config/vocabulary.ts';
export * from './errors.ts';
export { type LocalSyncOptions, runLocalSync } from './local-sync.ts';
export { type Logger, silentLogger } from './logger.ts';
export * from './outputs/browse-index.ts';
export { applyDeletionGrace } from './steps/deletions.ts';
export {
  type FinalizeChannelInput,
  type FinalizeChannelResult,
  finalizeChannel,
} from './steps/finalize/channel.ts';
export { type FinalizeInput, type FinalizeResult, finalizeSubdir } from './steps/finalize.ts';
export { type ImportedSubdir, type ImportOptions, importFolder } from './steps/import.ts';
export {
  copyPackage,
  isIntegrityError,
  mirrorPackage,
  type PackageContext,
  type PackageOutcome,
  type PackageTask,
} from './steps/package.ts';
export {
  type PlanContext,
  type PlannedRecord,
  planSync,
  type SubdirPlan,
  type SyncPlan,
} from './steps/plan.ts';
export {
  dropStaging,
  readStagedEntries,
  readStagedMeta,
  readStagedRecords,
  type StagedMeta,
  type StagedRecord,
  stageSubdirPlan,
} from './steps/staging.ts';
export * from './sync-report.ts';
export { type ChannelSource, channelSource } from './upstream/channel-source.ts';
export { UpstreamHttp } from './upstream/http-client.ts';
export { isNonPublicAddress, NonPublicAddressError, publicOnlyLookup } from './upstream/public-address.ts';
export {
  fetchShardedChannels,
  fetchShardedRecords,
  type ShardedChannelRecords,
  type ShardedRepodataOptions,
} from './upstream/sharded-repodata.ts';
