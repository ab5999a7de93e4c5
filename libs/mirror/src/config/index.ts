export { checkUpstreamUrl, redactUrl } from './channel-url.ts';
export {
  CONDA_CHANNEL_ALIAS,
  DEFAULT_CHANNEL_NAMES,
  DEFAULT_PLATFORMS,
  DEFAULT_REMOTE_URL,
  LIMITS,
} from './defaults.ts';
export {
  type EnvironmentFileContent,
  expandEnvironmentFiles,
  parseEnvironmentFile,
} from './environment-file.ts';
export type { ConfigKeySpec } from './key-spec.ts';
export { keySpec, SYNC_CONFIG_DEFAULTS, SYNC_CONFIG_KEY_TABLE, SYNC_CONFIG_KEYS } from './keys.ts';
export { parseSyncConfig } from './load-sync-config.ts';
export { type RenderOptions, renderSyncConfig } from './render-config.ts';
export { type ResolveOptions, resolveSyncConfig } from './resolve-sync-config.ts';
export { syncConfigJsonSchema } from './schema.ts';
export type { EnvironmentConfig, FilterEntry, FilterObject, SyncConfig, SyncConfigKey } from './types.ts';
export {
  KNOWN_SUBDIRS,
  LICENSE_FAMILIES,
  type LicenseFamily,
  LOG_LEVELS,
  type LogLevel,
  REPODATA_SOURCES,
  type RepodataSource,
} from './vocabulary.ts';
