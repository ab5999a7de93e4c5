import { fileURLToPath } from 'node:url';
import { redactUrl } from './redaction.ts';

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

/**
 * URL of a file inside a channel subdir, spelt as conda and rattler request it: `+` and `!` stay
 * literal (`vendored-tool-2.0.1+local.7-h0_0.conda`), only what a URL path cannot hold is
 * percent-encoded. An upstream that does not decode `%2B` would answer 404 to `…%2Blocal…`; the
 * HTTP client tries the other spelling once on a 404 (see alternateSpelling). The filename has
 * been validated by the repodata parser.
 */
export function channelFileUrl(channel: ChannelSource, subdir: string, filename: string): string {
  return `${channel.url}/${subdir}/${clientPathSegment(filename)}`;
}

/** The URL standard's path-segment encoding: sub-delimiters (`+ ! $ & ' ( ) * , ; = : @`) stay. */
function clientPathSegment(name: string): string {
  return encodeURIComponent(name).replace(/%(?:2B|21|24|26|27|28|29|2A|2C|3B|3D|3A|40)/g, (encoded) =>
    decodeURIComponent(encoded),
  );
}

/**
 * The same URL with the `+` of its last path segment spelt the other way (`+` ↔ `%2B`), or null
 * when it has none. Servers disagree on whether `%2B` and `+` name the same file.
 */
export function alternateSpelling(url: string): string | null {
  const cut = url.search(/[?#]/);
  const path = cut === -1 ? url : url.slice(0, cut);
  const rest = cut === -1 ? '' : url.slice(cut);
  const slash = path.lastIndexOf('/');
  const last = path.slice(slash + 1);
  let swapped: string;
  if (last.includes('+')) swapped = last.replaceAll('+', '%2B');
  else if (/%2B/i.test(last)) swapped = last.replace(/%2B/gi, '+');
  else return null;
  return `${path.slice(0, slash + 1)}${swapped}${rest}`;
}

/** Local path of a file inside a `file://` channel. */
export function channelFilePath(channel: ChannelSource, subdir: string, filename: string): string {
  return fileURLToPath(`${channel.url}/${subdir}/${encodeURIComponent(filename)}`);
}
