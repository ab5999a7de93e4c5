import { lookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

// docs/design.md §8: without an upstream allow-list, syncs may only reach public addresses. The API checks
// names when a sync is submitted; the worker's connections check again with these (DNS can answer
// differently by then), so a sync cannot be pointed at the internal network.

/** Loopback, private, link-local, CGNAT, documentation, multicast and reserved ranges. */
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}
// NAT64 (64:ff9b::/96) embeds an IPv4 address: judge that one, so IPv6-only clusters with DNS64
// still reach public hosts while 64:ff9b::7f00:1 (loopback) stays refused.
const NAT64 = new BlockList();
NAT64.addSubnet('64:ff9b::', 96, 'ipv6');

/** True for addresses the API must not let a sync reach. BlockList also matches ::ffff:a.b.c.d. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return NON_PUBLIC.check(address, 'ipv4');
  if (family !== 6) return true;
  if (NAT64.check(address, 'ipv6')) {
    const embedded = embeddedIpv4(address);
    return embedded === null || NON_PUBLIC.check(embedded, 'ipv4');
  }
  return NON_PUBLIC.check(address, 'ipv6');
}

function embeddedIpv4(address: string): string | null {
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted?.[1] !== undefined) return dotted[1];
  const groups = address.split(':');
  const high = Number.parseInt(groups.at(-2) ?? '', 16);
  const low = Number.parseInt(groups.at(-1) ?? '', 16);
  if (Number.isNaN(high) || Number.isNaN(low)) return null;
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** The error a refused connection fails with (its message names the host, never the address). */
export class NonPublicAddressError extends Error {
  readonly code = 'ENONPUBLIC';
}

/**
 * A `lookup` for net/tls connections that connects only to public addresses: the resolver's
 * answers are filtered, and when none is public the connection fails with NonPublicAddressError.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) {
      callback(error, '', 4);
      return;
    }
    const allowed = addresses.filter((entry) => !isNonPublicAddress(entry.address));
    if (allowed.length === 0) {
      callback(
        new NonPublicAddressError(
          `${hostname} resolves only to loopback, private or link-local addresses, which syncs may not reach without CONDASYNC_UPSTREAM_ALLOW`,
        ),
        '',
        4,
      );
      return;
    }
    if (options.all) (callback as unknown as (e: null, a: typeof allowed) => void)(null, allowed);
    else callback(null, allowed[0]!.address, allowed[0]!.family);
  });
};

/** True when `host` (a URL's hostname, brackets allowed) is an IP literal that is not public. */
export function isNonPublicLiteral(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return isIP(bare) !== 0 && isNonPublicAddress(bare);
}
