import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { MirrorError } from '../errors.ts';
import type { UpstreamHttp } from './http-client.ts';

export interface LoopbackChannels {
  /** `http://127.0.0.1:<port>/<index>/`, one per channel, in the order given. */
  urls: string[];
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** The client every http(s) fetch goes through (its address policy, timeouts and pool apply). */
  http: UpstreamHttp;
  deadlineMs: number;
  minBytesPerSecond: number;
}

/** Request headers passed on to an http(s) upstream: what a caching client sends. */
const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'accept-encoding',
  'if-none-match',
  'if-modified-since',
  'range',
];
/** Statuses an upstream may answer that the client handles itself. */
const PASSED_STATUSES = [304, 400, 401, 403, 404, 410, 416];
/** Response headers not passed back: they describe the hop, not the file. */
const HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
]);

function answer(response: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  response.writeHead(status, headers).end();
}

/**
 * Gives rattler's solver (which fetches repodata itself, from inside WebAssembly, over http(s)
 * only) one loopback URL per channel: a `file://` channel's folder is served read-only, and an
 * http(s) channel is proxied through `UpstreamHttp`, so the solver's fetches obey the same address
 * policy, deadlines and connection pool as every other upstream request (a worker that may only
 * reach public addresses keeps that rule while solving). GET and HEAD only.
 */
export async function serveChannelsForSolver(
  channelUrls: readonly string[],
  proxy: ProxyOptions,
): Promise<LoopbackChannels> {
  const server = createServer((request, response) => {
    handle(request, response, channelUrls, proxy).catch((error: unknown) => {
      if (!response.headersSent) answer(response, 502);
      else response.destroy(error as Error);
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  return {
    urls: channelUrls.map((_, index) => `http://127.0.0.1:${port}/${index}/`),
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  channelUrls: readonly string[],
  proxy: ProxyOptions,
): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    answer(response, 405, { allow: 'GET, HEAD' });
    return;
  }
  let path: string;
  try {
    path = decodeURIComponent(new URL(request.url ?? '/', 'http://loopback').pathname);
  } catch {
    answer(response, 400);
    return;
  }
  const match = /^\/(\d+)\/(.+)$/.exec(path);
  const channel = match === null ? undefined : channelUrls[Number(match[1])];
  if (match === null || channel === undefined) {
    answer(response, 404);
    return;
  }
  const relative = match[2]!;
  if (relative.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    answer(response, 404);
    return;
  }
  if (channel.startsWith('file:')) await serveFile(request, response, channel, relative);
  else await forward(request, response, `${channel.replace(/\/+$/, '')}/${relative}`, proxy);
}

async function serveFile(
  request: IncomingMessage,
  response: ServerResponse,
  folderUrl: string,
  relative: string,
): Promise<void> {
  const root = resolve(fileURLToPath(folderUrl));
  const path = resolve(root, relative);
  if (!path.startsWith(root + sep)) return answer(response, 404);
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) return answer(response, 404);
  response.writeHead(200, {
    'content-length': String(info.size),
    'content-type': 'application/octet-stream',
  });
  if (request.method === 'HEAD') return void response.end();
  await pipeline(createReadStream(path), response);
}

async function forward(
  request: IncomingMessage,
  response: ServerResponse,
  url: string,
  proxy: ProxyOptions,
): Promise<void> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  let upstream: Awaited<ReturnType<UpstreamHttp['request']>>;
  try {
    upstream = await proxy.http.request(url, {
      method: request.method === 'HEAD' ? 'HEAD' : 'GET',
      headers,
      deadlineMs: proxy.deadlineMs,
      minBytesPerSecond: proxy.minBytesPerSecond,
      acceptStatuses: PASSED_STATUSES,
    });
  } catch (error) {
    // Refused by the address policy, unreachable, 5xx after the client gave up: the solver sees a
    // 502 and the plan reports its own error; the reason goes in the body for the log.
    const reason = error instanceof MirrorError ? error.message : 'upstream request failed';
    response.writeHead(502, { 'content-type': 'text/plain' }).end(reason);
    return;
  }
  const passed: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value !== undefined && !HOP_HEADERS.has(name)) passed[name] = value;
  }
  response.writeHead(upstream.status, passed);
  if (request.method === 'HEAD') {
    await upstream.dispose();
    response.end();
    return;
  }
  await pipeline(upstream.body, response);
}
