import { redactUrlCredentials } from '@condasync/env';
// CONDASYNC_REDIS_URL names either one Redis (`redis://`, `rediss://`) or a Sentinel set:
//   redis+sentinel://[[user]:password@]host1:26379[,host2:26379…]/<master-name>[?db=N&sentinelPassword=…]
// (`rediss+sentinel://` for TLS to the data nodes and the sentinels). The credentials before `@`
// are the data nodes' (AUTH); `sentinelPassword` is only needed when the sentinels themselves
// require one. WHATWG URL cannot parse a host list, so the Sentinel form is parsed here.
import type { RedisOptions } from 'ioredis';
import { QueueError, QueueErrorCode } from './errors.ts';

export type RedisTarget =
  | { kind: 'direct'; url: string }
  | {
      kind: 'sentinel';
      options: RedisOptions & { sentinels: Array<{ host: string; port: number }>; name: string };
    };

const SENTINEL_URL = /^(rediss?)\+sentinel:\/\/(?:([^@/]*)@)?([^/?#]+)\/([^/?#]+)\/?(?:\?([^#]*))?$/;
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;
const DEFAULT_SENTINEL_PORT = 26379;
const QUERY_KEYS = new Set(['db', 'sentinelPassword', 'sentinelUsername']);

const SYNTAX =
  'redis://host:6379, rediss://…, or redis+sentinel://[:password@]host1:26379,host2:26379/<master-name>[?db=0]';

function invalid(message: string): QueueError {
  return new QueueError(QueueErrorCode.RedisUrlInvalid, message);
}

/** Why `url` is not a Redis URL condasync accepts, or null when it is. Never echoes a password. */
export function redisUrlProblem(url: string): string | null {
  try {
    parseRedisUrl(url);
    return null;
  } catch (error) {
    if (error instanceof QueueError) return error.message;
    throw error;
  }
}

/** True when `url` is a Redis URL condasync accepts (plain or Sentinel). */
export function isRedisUrl(url: string): boolean {
  return redisUrlProblem(url) === null;
}

/**
 * Parses CONDASYNC_REDIS_URL. A plain URL is handed to ioredis as it is; a Sentinel URL becomes
 * ioredis's `sentinels` + `name` options, so clients follow a failover to the new primary.
 * Throws QueueError REDIS_URL_INVALID naming what is wrong (without the password) and the accepted syntax.
 */
export function parseRedisUrl(url: string): RedisTarget {
  if (/^rediss?:\/\//.test(url)) {
    if (!/^rediss?:\/\/[^/]/.test(url) || !URL.canParse(url)) {
      throw invalid(`'${redactRedisUrl(url)}' is not a valid Redis URL: expected ${SYNTAX}`);
    }
    return { kind: 'direct', url };
  }
  const match = SENTINEL_URL.exec(url);
  if (match === null) {
    // Something that is not even URL-shaped is not echoed: it may be a secret in the wrong variable.
    throw invalid(
      /^rediss?\+sentinel:\/\//.test(url)
        ? `'${redactRedisUrl(url)}' is not a valid Redis Sentinel URL: expected ${SYNTAX}`
        : URL.canParse(url)
          ? `'${redactUrlCredentials(url)}' is not a redis:// or rediss:// URL (nor redis+sentinel://): expected ${SYNTAX}`
          : `the value is not a Redis URL: expected ${SYNTAX}`,
    );
  }
  const [, scheme, userinfo, hostList, masterName, query] = match as unknown as [
    string,
    string,
    string | undefined,
    string,
    string,
    string | undefined,
  ];
  const sentinels = hostList.split(',').map((entry) => {
    const hostPort = HOST_PORT.exec(entry.trim());
    const port = Number(hostPort?.[2] ?? DEFAULT_SENTINEL_PORT);
    if (hostPort === null || port < 1 || port > 65535) {
      throw invalid(`sentinel address '${entry}' in the Redis URL is not host or host:port (1-65535)`);
    }
    return { host: hostPort[1]!.replace(/^\[|\]$/g, ''), port };
  });
  const options: RedisOptions & { sentinels: Array<{ host: string; port: number }>; name: string } = {
    sentinels,
    name: decodeURIComponent(masterName),
    // A write refused by a demoted primary (now a replica) is treated as a lost connection:
    // reconnect through the sentinels and resend it, instead of failing a BullMQ command
    // mid-failover. (ioredis's `failoverDetector` is not used: in ioredis 6.0 its sentinel
    // subscriptions survive quit() and keep a stopping process alive.)
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
  };
  if (userinfo !== undefined && userinfo !== '') {
    const colon = userinfo.indexOf(':');
    const username = decodeURIComponent(colon === -1 ? userinfo : userinfo.slice(0, colon));
    const password = colon === -1 ? '' : decodeURIComponent(userinfo.slice(colon + 1));
    if (username !== '') options.username = username;
    if (password !== '') options.password = password;
  }
  for (const [key, value] of new URLSearchParams(query ?? '')) {
    if (!QUERY_KEYS.has(key)) {
      throw invalid(
        `unknown parameter '${key}' in the Redis Sentinel URL: expected ${[...QUERY_KEYS].join(', ')}`,
      );
    }
    if (key === 'db') {
      if (!/^\d{1,2}$/.test(value)) throw invalid(`db=${value} in the Redis URL is not a database number`);
      options.db = Number(value);
    } else if (key === 'sentinelPassword') {
      options.sentinelPassword = value;
    } else {
      options.sentinelUsername = value;
    }
  }
  if (scheme === 'rediss') {
    options.tls = {};
    options.enableTLSForSentinelMode = true;
  }
  return { kind: 'sentinel', options };
}

/** The URL with any password (data node or sentinel) replaced by `***`, for logs and errors. */
export function redactRedisUrl(url: string): string {
  return url
    .replace(/^([a-z+]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@')
    .replace(/([?&]sentinelPassword=)[^&#]*/g, '$1***');
}
