import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isNonPublicAddress, redactUrl, type SyncConfig } from '@condasync/mirror';
import type { ErrorDetail } from './errors.ts';

/*
 * docs/design.md §8: a sync posted to the API may only name upstreams that pass CONDASYNC_UPSTREAM_ALLOW,
 * so that the API cannot be used to make the workers probe the internal network. With no allow
 * list, only https URLs to hosts that resolve to public addresses pass.
 */

/** Resolves a host name to every address it has (A and AAAA). */
export type HostResolver = (hostname: string) => Promise<string[]>;

export const resolveWithSystem: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

const LOOKUP_TIMEOUT_MS = 5000;

/** True when `url` is `prefix` itself or below it; prefixes match whole path segments only. */
export function isUnderPrefix(url: string, prefix: string): boolean {
  let base: string;
  try {
    base = new URL(prefix).href.replace(/\/+$/, '');
  } catch {
    return false;
  }
  return url === base || url.startsWith(`${base}/`);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface UpstreamPolicy {
  /** CONDASYNC_UPSTREAM_ALLOW: when non-empty, the only test applied. */
  allow: readonly string[];
  resolve: HostResolver;
}

/** Why `url` is refused, or null when it may be used. Messages never echo a token. */
export async function upstreamRefusal(url: string, policy: UpstreamPolicy): Promise<string | null> {
  const shown = `'${redactUrl(url)}'`;
  if (policy.allow.length > 0) {
    return policy.allow.some((prefix) => isUnderPrefix(url, prefix))
      ? null
      : `${shown} is not under any prefix listed in CONDASYNC_UPSTREAM_ALLOW`;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${shown} is not a URL`;
  }
  const needsAllowList = 'list it in CONDASYNC_UPSTREAM_ALLOW to permit it';
  if (parsed.protocol === 'file:') {
    return `${shown} is a local folder of the server; ${needsAllowList}`;
  }
  if (parsed.protocol !== 'https:') {
    return `${shown} is not https; only public https upstreams are allowed by default; ${needsAllowList}`;
  }
  // Resolved as written (a trailing dot included), the way the worker's client will resolve it.
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(host) !== 0) {
    return isNonPublicAddress(host)
      ? `${shown} names a loopback, private or link-local address; ${needsAllowList}`
      : null;
  }
  const name = host.replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) {
    return `${shown} names the server itself (localhost); ${needsAllowList}`;
  }
  // One message whether the name is unknown or internal: telling the two apart would let a
  // client map internal DNS names through the API. The address itself is never echoed either.
  const refusal = `${shown}: host '${host}' does not resolve, or resolves to a loopback, private or link-local address; ${needsAllowList}`;
  let addresses: string[];
  try {
    addresses = await withTimeout(policy.resolve(host), LOOKUP_TIMEOUT_MS, `lookup of ${host}`);
  } catch {
    return refusal;
  }
  if (addresses.length === 0 || addresses.some(isNonPublicAddress)) return refusal;
  return null;
}

/** Every upstream the sync would contact that the policy refuses, with its key path. */
export async function refusedUpstreams(config: SyncConfig, policy: UpstreamPolicy): Promise<ErrorDetail[]> {
  const targets = config.channels.map((url, index) => ({ path: `channels[${index}]`, url }));
  // Installer folders are fetched from remote_url itself.
  if (config.fetch_installers)
    targets.push({ path: 'remote_url', url: config.remote_url.replace(/\/+$/, '') });
  const refusals = await Promise.all(targets.map((target) => upstreamRefusal(target.url, policy)));
  return targets.flatMap((target, index) => {
    const message = refusals[index];
    return message === null || message === undefined ? [] : [{ path: target.path, message }];
  });
}
