import { redactUrl } from '../upstream/redaction.ts';
import { CONDA_CHANNEL_ALIAS } from './defaults.ts';

export { redactUrl };

/** anaconda.org tokens are letters, digits and dashes; anything else in `/t/…/` is a typo or an attack. */
const TOKEN_PATTERN = /^[A-Za-z0-9-]+$/;
const SCHEME_PREFIX = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const CHANNEL_NAME = /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*\/?$/;
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?:[/?#]|$)/i;
const ALLOWED_PROTOCOLS = new Set(['https:', 'http:', 'file:']);

export type UrlCheck = { ok: true; url: string } | { ok: false; message: string };

/**
 * Validates an absolute upstream URL and returns it without trailing slashes. Messages never
 * echo a token or a password.
 */
export function checkUpstreamUrl(input: string): UrlCheck {
  const checked = checkUrlText(input);
  if (!checked.ok && input.includes('$')) {
    return fail(`${checked.message} (environment variables are not expanded in a sync config)`);
  }
  return checked;
}

function checkUrlText(input: string): UrlCheck {
  const shown = redactUrl(stripUserinfo(input));
  // The URL parser would silently resolve `..` segments, so reject them in the text as written.
  if (DOT_SEGMENT.test(input)) {
    return fail(`'${shown}' contains a '.' or '..' path segment`);
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch (error) {
    return fail(`'${shown}' is not a valid URL: ${(error as Error).message}`);
  }
  if (!ALLOWED_PROTOCOLS.has(url.protocol)) {
    return fail(`'${shown}' uses ${url.protocol.replace(/:$/, '')}; expected an https, http or file URL`);
  }
  if (url.username !== '' || url.password !== '') {
    return fail(`'${shown}' carries credentials before the host; use a token URL (…/t/<TOKEN>/…) instead`);
  }
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(input)) {
    return fail(`'${shown}' has a query or fragment; a channel URL is a plain path`);
  }
  if (url.protocol === 'file:' && url.hostname !== '' && url.hostname !== 'localhost') {
    return fail(`'${shown}' names host '${url.hostname}'; a file URL is file:///absolute/path`);
  }
  if (url.protocol !== 'file:' && url.hostname === '') {
    return fail(`'${shown}' has no host`);
  }
  const tokenProblem = checkTokenSegments(url.pathname, shown);
  if (tokenProblem !== null) {
    return fail(tokenProblem);
  }
  const href = url.protocol === 'file:' ? `file://${url.pathname}` : url.href;
  return { ok: true, url: href.replace(/\/+$/, '') };
}

/** Validates `remote_url` and returns it with exactly one trailing slash (it is a base for names). */
export function checkRemoteUrl(input: string): UrlCheck {
  const checked = checkUpstreamUrl(input);
  return checked.ok ? { ok: true, url: `${checked.url}/` } : checked;
}

/**
 * Turns one `channels` entry into an absolute channel URL. Entries with a scheme are URLs; entries
 * without one are channel names joined to `remoteUrl`, except that while `remote_url` is implicit a
 * name outside `pkgs/` goes to conda's own channel alias, as conda would send it.
 */
export function resolveChannelEntry(entry: string, remoteUrl: string, remoteUrlIsDefault: boolean): UrlCheck {
  const trimmed = entry.trim();
  if (SCHEME_PREFIX.test(trimmed) && !/^[A-Za-z]:[\\/]/.test(trimmed)) {
    return checkUpstreamUrl(trimmed);
  }
  if (trimmed.startsWith('/') || trimmed.startsWith('.') || /^[A-Za-z]:[\\/]/.test(trimmed)) {
    return fail(`'${trimmed}' is a path, not a channel; write a local folder as file:///absolute/path`);
  }
  if (!CHANNEL_NAME.test(trimmed) || trimmed.split('/').includes('..')) {
    return fail(
      `'${redactUrl(`/${trimmed}`).slice(1)}' is neither a URL (https://, http://, file://) nor a channel name ` +
        `(letters, digits, '.', '_', '-' and '/', e.g. conda-forge or pkgs/main)`,
    );
  }
  const base = remoteUrlIsDefault && !trimmed.startsWith('pkgs/') ? CONDA_CHANNEL_ALIAS : remoteUrl;
  return checkUpstreamUrl(base + trimmed);
}

function checkTokenSegments(pathname: string, shown: string): string | null {
  const segments = pathname.split('/');
  for (let index = 0; index < segments.length; index++) {
    if (segments[index] !== 't') {
      continue;
    }
    const token = segments[index + 1];
    if (token === undefined || token === '') {
      return `'${shown}' has '/t/' without a token after it`;
    }
    if (!TOKEN_PATTERN.test(token)) {
      return `'${shown}' has a token that is not letters, digits and '-' only`;
    }
    index++;
  }
  return null;
}

function stripUserinfo(input: string): string {
  return input.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@]*@/, '$1');
}

function fail(message: string): UrlCheck {
  return { ok: false, message };
}
