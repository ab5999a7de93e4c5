import { dump } from 'js-yaml';
import { redactUrl } from './channel-url.ts';
import { keySpec, SYNC_CONFIG_KEYS } from './keys.ts';
import type { SyncConfig } from './types.ts';

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
  // The table lists cas-sync's keys in cas-sync's `--show-config` order, so the two outputs can be
  // compared line by line; condasync's additions follow under a comment.
  for (const origin of ['cas-sync', 'condasync'] as const) {
    if (origin === 'condasync') lines.push('# condasync additions');
    for (const key of SYNC_CONFIG_KEYS.filter((candidate) => keySpec(candidate).origin === origin)) {
      let value: unknown = config[key];
      if (key === 'remote_url') value = url(config.remote_url);
      if (key === 'channels') value = config.channels.map(url);
      lines.push(renderEntry(key, value, keySpec(key).inline === true));
    }
  }
  return `${lines.join('\n')}\n`;
}

function renderEntry(key: string, value: unknown, inline: boolean): string {
  // flowLevel 1 prints the list itself inline; 2 keeps a block list but prints filter objects inline.
  return dump({ [key]: value }, { flowLevel: inline ? 1 : 2, lineWidth: -1, noRefs: true }).trimEnd();
}
