import { join } from 'node:path';
import type { ObjectStore } from '@condasync/storage';
import type { SyncConfig } from '../config/index.ts';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { type ChannelSource, channelSource } from '../upstream/channel-source.ts';
import type { UpstreamHttp } from '../upstream/http-client.ts';
import type { DownloadLimits } from './package.ts';

/**
 * One sync as the steps see it, whichever runner drives them: the CLI's local mode runs every step
 * in one process with one of these; a worker builds one per job from the sync's stored config.
 */
export interface SyncRun {
  config: SyncConfig;
  store: ObjectStore;
  /** '' when the store is a mirror_dir holding one channel; `<dest_channel>/` in shared storage. */
  channelPrefix: string;
  http: UpstreamHttp;
  /** Runner-local folder: `cache/` holds the upstream repodata cache, `tmp/` scratch files. */
  workDir: string;
  logger: Logger;
  signal?: AbortSignal | undefined;
  /** The clock of deletion grace periods (default Date.now). */
  now?: () => number;
  /** `sync --reset`: plan without cached upstream state and re-hash every stored file. */
  reset?: boolean;
}

export const scratchDirOf = (run: Pick<SyncRun, 'workDir'>): string => join(run.workDir, 'tmp');
export const cacheDirOf = (run: Pick<SyncRun, 'workDir'>): string => join(run.workDir, 'cache');

/** How long unlisted packages and shards stay after they leave the published metadata. */
export const graceMsOf = (config: SyncConfig): number => config.grace_period_hours * 3_600_000;

/** The per-download limits of a config: retries, the overall deadline and the throughput floor. */
export function downloadLimitsOf(config: SyncConfig): DownloadLimits {
  return {
    retries: config.retries,
    deadlineMs: config.download_timeout_seconds * 1000,
    minBytesPerSecond: config.min_bytes_per_second,
  };
}

// Parsed once per config: a sync's 500 k package steps share the few channel sources.
const channelsByConfig = new WeakMap<SyncConfig, readonly ChannelSource[]>();

/** The upstream channel at `index` of the config's `channels` (package jobs carry only the index). */
export function channelAt(config: SyncConfig, index: number): ChannelSource {
  let channels = channelsByConfig.get(config);
  if (channels === undefined) {
    channels = config.channels.map(channelSource);
    channelsByConfig.set(config, channels);
  }
  const channel = channels[index];
  if (channel === undefined) {
    throw new MirrorError(
      MirrorErrorCode.ConfigInvalid,
      `the sync config has ${channels.length} channel(s); there is no channel number ${index}`,
    );
  }
  return channel;
}
