/** The mirroring engine: sync config, upstream client and the steps, shared by the CLI and the workers. */
export * from './config/index.ts';
// The one table of log-level aliases (cas-sync's names and numbers); the CLI's -l takes it too.
export { LOG_LEVEL_ALIASES } from './config/vocabulary.ts';
export * from './errors.ts';
export * from './generations/index.ts';
export {
  INSTALLER_FILENAME,
  type InstallerEntry,
  type InstallerIndex,
  parseInstallerIndex,
  parseListedSize,
  type SkippedRow,
  sizeAgrees,
} from './installers/index-page.ts';
export {
  DOWNLOADS_FOLDER,
  type InstallerListing,
  installerKey,
  installerListingKey,
  type ListedInstaller,
  readInstallerListing,
} from './installers/installer-layout.ts';
export {
  type InstallerDirReport,
  type InstallerFailure,
  type InstallersReport,
  installersStep,
  withInstallers,
} from './installers/installers-step.ts';
export { type LocalSyncOptions, runLocalSync } from './local-sync.ts';
export { type Logger, silentLogger } from './logger.ts';
export * from './outputs/browse-index.ts';
export {
  bundleChunks,
  type ChannelObject,
  fullBundleManifest,
  listChannelObjects,
} from './steps/bundle-export.ts';
export { type BundleImportOptions, type BundleImportResult, importBundle } from './steps/bundle-import.ts';
export {
  BUNDLE_MANIFEST,
  type BundleManifest,
  type BundleMember,
  parseBundleManifest,
} from './steps/bundle-manifest.ts';
export { type BundleEntry, folderBundleEntries, tarBundleEntries } from './steps/bundle-source.ts';
export { type CleanFile, type CleanReport, cleanStep } from './steps/clean-step.ts';
export { applyDeletionGrace } from './steps/deletions.ts';
export { type ChannelSnapshot, snapshotChannel, writeDeltaBundle } from './steps/delta-bundle.ts';
export {
  type FinalizeChannelInput,
  type FinalizeChannelResult,
  finalizeChannel,
} from './steps/finalize/channel.ts';
export { type FinalizeInput, type FinalizeResult, finalizeSubdir } from './steps/finalize.ts';
export { finishChannelStep } from './steps/finish-step.ts';
export { type ImportedSubdir, type ImportOptions, importFolder } from './steps/import.ts';
export {
  asMirrorError,
  copyPackage,
  type DownloadLimits,
  isIntegrityError,
  type PackageContext,
  type PackageTask,
} from './steps/package.ts';
export {
  type AttemptHistory,
  type AttemptKind,
  type AttemptVerdict,
  INTEGRITY_FAILURES_ALLOWED,
  judgeAttempt,
} from './steps/package-attempt.ts';
export {
  mirrorPackage,
  type PackageOutcome,
  type PackageStepOptions,
  type PackageStepResult,
  type PlannedPackage,
  packageStep,
  packageTask,
} from './steps/package-step.ts';
export {
  type PlanContext,
  type PlannedRecord,
  planSync,
  type SubdirPlan,
  type SyncPlan,
} from './steps/plan.ts';
export {
  type PlannedSubdirCounts,
  plannedCounts,
  plannedPackages,
  planStep,
  stagedPackages,
  stagePlan,
} from './steps/plan-step.ts';
export { type PublishedSubdir, publishSubdirStep, type SubdirToPublish } from './steps/publish-step.ts';
export {
  dropStaging,
  readStagedEntries,
  readStagedMeta,
  readStagedRecords,
  type StagedMeta,
  type StagedRecord,
  stageSubdirPlan,
} from './steps/staging.ts';
export { storedSyncConfig } from './steps/stored-config.ts';
export {
  cacheDirOf,
  channelAt,
  downloadLimitsOf,
  graceMsOf,
  type SyncRun,
  scratchDirOf,
} from './steps/sync-run.ts';
export {
  type VerifyOptions,
  type VerifyProblem,
  type VerifyReport,
  type VerifySubdirReport,
  verifyStep,
} from './steps/verify.ts';
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
