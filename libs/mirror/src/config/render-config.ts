import { dump } from 'js-yaml';
import { redactUrl } from './channel-url.ts';
import type { SyncConfig, SyncConfigKey } from './types.ts';

/** cas-sync's `--show-config` order, so the two outputs can be compared line by line. */
const CAS_SYNC_KEY_ORDER = [
  'remote_url',
  'mirror_dir',
  'platforms',
  'fetch_installers',
  'repodata_source',
  'dir_names',
  'server_log_dir',
  'server_port',
  'dest_site',
  'dest_channel',
  'verify_checksum',
  'delta',
  'delta_dir',
  'log_dir',
  'log_level',
  'python_versions',
  'pkg_list',
  'license_blacklist',
  'blacklist',
  'whitelist',
  'channels',
] as const satisfies readonly SyncConfigKey[];

const CONDASYNC_KEY_ORDER = [
  'include_dependencies',
  'environments',
  'concurrency',
  'retries',
  'download_timeout_seconds',
  'min_bytes_per_second',
  'zstd_level',
  'grace_period_hours',
  'shards',
  'current_repodata',
  'repodata_bz2',
] as const satisfies readonly SyncConfigKey[];

/** Short lists print inline like cas-sync did; lists that grow long or hold mappings print a line per entry. */
const INLINE_LISTS = new Set<SyncConfigKey>([
  'platforms',
  'dir_names',
  'python_versions',
  'license_blacklist',
]);

export interface RenderOptions {
  /** The config file's path, printed first as cas-sync did. */
  path?: string;
  /** Print channel tokens instead of `<redacted>`. Only for a user looking at their own terminal. */
  revealTokens?: boolean;
}

/**
 * The effective config as YAML, every key with its value (`--show-config`). The output parses back
 * into the same config (without `path:`; with redacted tokens it is refused, on purpose).
 */
export function renderSyncConfig(config: SyncConfig, options: RenderOptions = {}): string {
  const url = (value: string): string => (options.revealTokens === true ? value : redactUrl(value));
  const lines: string[] = [];
  if (options.path !== undefined) {
    lines.push(renderEntry('path', options.path, false));
  }
  for (const key of CAS_SYNC_KEY_ORDER) {
    let value: unknown = config[key];
    if (key === 'remote_url') value = url(config.remote_url);
    if (key === 'channels') value = config.channels.map(url);
    lines.push(renderEntry(key, value, INLINE_LISTS.has(key)));
  }
  lines.push('# condasync additions');
  for (const key of CONDASYNC_KEY_ORDER) {
    lines.push(renderEntry(key, config[key], false));
  }
  return `${lines.join('\n')}\n`;
}

function renderEntry(key: string, value: unknown, inline: boolean): string {
  // flowLevel 1 prints the list itself inline; 2 keeps a block list but prints filter objects inline.
  return dump({ [key]: value }, { flowLevel: inline ? 1 : 2, lineWidth: -1, noRefs: true }).trimEnd();
}
