import { fileURLToPath } from 'node:url';
import { redactUrl } from '../config/channel-url.ts';

/** One upstream channel as the engine uses it. `url` may carry a token and is never logged. */
export interface ChannelSource {
  /** Channel base URL without a trailing slash, token included: for requests only. */
  readonly url: string;
  /** The same URL with any `/t/<token>/` replaced, safe for logs, metrics and reports. */
  readonly display: string;
  readonly kind: 'http' | 'file';
}

export function channelSource(url: string): ChannelSource {
  const trimmed = url.replace(/\/+$/, '');
  const kind = trimmed.startsWith('file:') ? 'file' : 'http';
  return { url: trimmed, display: redactUrl(trimmed), kind };
}

/** URL of a file inside a channel subdir. The filename has been validated by the repodata parser. */
export function channelFileUrl(channel: ChannelSource, subdir: string, filename: string): string {
  return `${channel.url}/${subdir}/${encodeURIComponent(filename)}`;
}

/** Local path of a file inside a `file://` channel. */
export function channelFilePath(channel: ChannelSource, subdir: string, filename: string): string {
  return fileURLToPath(`${channel.url}/${subdir}/${encodeURIComponent(filename)}`);
}
