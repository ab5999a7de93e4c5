// A real HTTP server that serves a channel folder the way conda channels are served, with faults
// that can be switched on per file. Tests and benchmarks point the mirror at it instead of
// mocking HTTP. It logs nothing.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What goes wrong for one file. `times` limits the fault to the next N requests that it applies
 * to, after which the file is served normally; without it the fault stays until cleared.
 * Status faults apply to GET and HEAD; body faults only to GET (HEAD gets the normal headers).
 */
export type UpstreamFault =
  /** Answer with this status instead of the file. */
  | { type: 'status'; status: 404 | 500 | 503; times?: number }
  /** Answer 429 with `Retry-After: retryAfterSeconds`. */
  | { type: 'rate-limit'; retryAfterSeconds: number; times?: number }
  /** Full length, but one byte in the middle altered (a bit-flip on the way). */
  | { type: 'corrupt'; times?: number }
  /** Announce the full Content-Length, send `afterBytes` bytes, then reset the connection. */
  | { type: 'truncate'; afterBytes: number; times?: number }
  /** Send the body at `bytesPerSecond`. */
  | { type: 'slow'; bytesPerSecond: number; times?: number }
  /** Send `afterBytes` bytes, then nothing more until the client gives up. */
  | { type: 'stall'; afterBytes: number; times?: number };

export interface FixtureUpstreamOptions {
  /** The channel folder: `<root>/<subdir>/repodata.json`, `<root>/<subdir>/<package>`. */
  root: string;
  /** When set, only `/t/<token>/…` serves; every other path answers 401 like anaconda.org. */
  token?: string;
  /** Port on 127.0.0.1; 0 (the default) lets the kernel pick a free one. */
  port?: number;
  /**
   * How `+` and `%2B` in a request path are read. `standard` (the default): `%2B` is `+` and `+` is
   * itself. `keep-encoded-plus`: `%2B` is not decoded (some proxies and object-store gateways), so
   * only a literal `+` finds `a+b.conda`. `plus-as-space`: `+` means a space (form encoding, as some
   * static hosts read paths), so only `%2B` finds it.
   */
  plusInPaths?: 'standard' | 'keep-encoded-plus' | 'plus-as-space';
  /**
   * Every request waits this long before it is answered, as a far-away upstream's round trip does
   * (conda.anaconda.org is ~100–300 ms from most mirrors). 0, the default, answers at once.
   */
  latencyMs?: number;
}

/** Requests received since the start or the last `resetCounts()`, including refused ones. */
export interface RequestCounts {
  readonly total: number;
  /** Keyed by channel-relative path (`noarch/repodata.json`); refused requests by URL path. */
  readonly byPath: ReadonlyMap<string, number>;
  count(relPath: string): number;
}

export interface FixtureUpstream {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  /** The channel URL (with `/t/<token>` when a token is set), or a file in it. No trailing slash. */
  channelUrl(relPath?: string): string;
  setFault(relPath: string, fault: UpstreamFault | null): void;
  clearFaults(): void;
  readonly requests: RequestCounts;
  /** The requests among `requests` that carried If-None-Match (conditional revalidations). */
  readonly conditionalRequests: RequestCounts;
  resetCounts(): void;
  close(): Promise<void>;
}

interface ActiveFault {
  fault: UpstreamFault;
  /** Applications left; undefined = unlimited. */
  remaining: number | undefined;
}

interface FileInfo {
  absolutePath: string;
  size: number;
  mtimeMs: number;
  etag: string;
  /** The content of a small file, kept from hashing it: served without opening the file again. */
  bytes: Buffer | undefined;
}

/**
 * Files up to this size are kept in memory (up to KEPT_BYTES_LIMIT in all): a benchmark's thousands
 * of small packages then cost this server one stat each, not an open, reads and a close, so less of
 * a shared machine's CPU goes to the stand-in upstream.
 */
const KEEP_FILE_BYTES = 64 * 1024;
const KEPT_BYTES_LIMIT = 256 * 1024 * 1024;

type ResolvedPath = { kind: 'ok'; relPath: string } | { kind: 'refused'; status: 400 | 401; reason: string };

const CHUNK_BYTES = 64 * 1024;

class RequestCounter implements RequestCounts {
  total = 0;
  readonly byPath = new Map<string, number>();

  add(key: string): void {
    this.total += 1;
    this.byPath.set(key, (this.byPath.get(key) ?? 0) + 1);
  }

  count(relPath: string): number {
    return this.byPath.get(normalizeRelPath(relPath)) ?? 0;
  }

  reset(): void {
    this.total = 0;
    this.byPath.clear();
  }
}

function normalizeRelPath(relPath: string): string {
  return relPath.replace(/^\/+/, '');
}

function isBodyFault(fault: UpstreamFault): boolean {
  return (
    fault.type === 'corrupt' || fault.type === 'truncate' || fault.type === 'slow' || fault.type === 'stall'
  );
}

function contentType(filePath: string): string {
  if (filePath.endsWith('.json')) return 'application/json';
  if (filePath.endsWith('.html')) return 'text/html; charset=utf-8';
  if (filePath.endsWith('.zst')) return 'application/zstd';
  return 'application/octet-stream';
}

async function sha256OfFile(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(filePath), hash);
  return hash.digest('hex');
}

/** Whether an `If-None-Match` header value matches the strong ETag `etag`. */
function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

function sendStatus(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = `${message}\n`;
  response.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    ...headers,
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/** Writes one chunk, waiting for `drain` when the socket buffer is full; false once the response closed. */
async function writeChunk(response: ServerResponse, chunk: Buffer, signal: AbortSignal): Promise<boolean> {
  if (response.destroyed || signal.aborted) return false;
  if (response.write(chunk)) return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      response.off('drain', onDrain);
      response.off('close', onClose);
      signal.removeEventListener('abort', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    response.on('drain', onDrain);
    response.on('close', onClose);
    signal.addEventListener('abort', onClose);
  });
}

/**
 * Writes the first `limit` bytes of the file, at most `bytesPerSecond` fast when set. Returns
 * whether all `limit` bytes went out.
 */
async function writeBytes(
  response: ServerResponse,
  file: FileInfo,
  limit: number,
  bytesPerSecond: number | undefined,
  signal: AbortSignal,
): Promise<boolean> {
  if (limit <= 0) return true;
  const sliceBytes =
    bytesPerSecond === undefined ? CHUNK_BYTES : Math.max(1, Math.floor(bytesPerSecond / 20));
  const started = performance.now();
  let sent = 0;
  const stream = createReadStream(file.absolutePath, { end: limit - 1, highWaterMark: CHUNK_BYTES });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (let offset = 0; offset < chunk.length; offset += sliceBytes) {
        if (bytesPerSecond !== undefined) {
          const due = started + (sent / bytesPerSecond) * 1000;
          const wait = due - performance.now();
          if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
        }
        const slice = chunk.subarray(offset, offset + sliceBytes);
        if (!(await writeChunk(response, slice, signal))) return false;
        sent += slice.length;
      }
    }
  } finally {
    stream.destroy();
  }
  return sent === limit;
}

/** Starts the server on 127.0.0.1 and resolves once it listens. */
export async function startFixtureUpstream(options: FixtureUpstreamOptions): Promise<FixtureUpstream> {
  const root = path.resolve(options.root);
  const token = options.token;
  if (token !== undefined && !/^[A-Za-z0-9-]+$/.test(token)) {
    throw new Error(`token ${JSON.stringify(token)} is not valid: expected letters, digits and '-'`);
  }
  const faults = new Map<string, ActiveFault>();
  const counter = new RequestCounter();
  const conditional = new RequestCounter();
  const etags = new Map<string, { size: number; mtimeMs: number; etag: string; bytes: Buffer | undefined }>();
  let keptBytes = 0;
  const stopping = new AbortController();
  const plusInPaths = options.plusInPaths ?? 'standard';
  const latencyMs = options.latencyMs ?? 0;
  if (!Number.isFinite(latencyMs) || latencyMs < 0) {
    throw new Error(`latencyMs ${latencyMs} is not valid: expected a number of milliseconds >= 0`);
  }
  /** Rewrites a raw path segment so that decodeURIComponent reads `+` / `%2B` as this server does. */
  const readPlus = (segment: string): string =>
    plusInPaths === 'keep-encoded-plus'
      ? segment.replace(/%2B/gi, (encoded) => `%25${encoded.slice(1)}`)
      : plusInPaths === 'plus-as-space'
        ? segment.replaceAll('+', '%20')
        : segment;

  function resolveRequestPath(rawUrl: string): ResolvedPath {
    const pathname = rawUrl.split('?')[0] ?? '';
    let segments: string[];
    try {
      segments = pathname.split('/').map((segment) => decodeURIComponent(readPlus(segment)));
    } catch (error) {
      return {
        kind: 'refused',
        status: 400,
        reason: `bad percent-encoding in ${pathname}: ${String(error)}`,
      };
    }
    segments.shift(); // the empty segment before the leading '/'
    if (token !== undefined) {
      if (segments[0] !== 't' || segments[1] !== token) {
        return { kind: 'refused', status: 401, reason: 'a valid /t/<token>/ prefix is required' };
      }
      segments = segments.slice(2);
    }
    for (const segment of segments) {
      if (segment === '..' || segment === '.' || segment.includes('/') || segment.includes('\0')) {
        return { kind: 'refused', status: 400, reason: `path traversal refused: ${pathname}` };
      }
    }
    const relPath = segments.filter((segment) => segment !== '').join('/');
    const absolutePath = path.resolve(root, relPath);
    if (absolutePath !== root && !absolutePath.startsWith(root + path.sep)) {
      return { kind: 'refused', status: 400, reason: `path traversal refused: ${pathname}` };
    }
    return { kind: 'ok', relPath };
  }

  /** The fault to apply to this request, consuming one of its `times`. */
  function takeFault(relPath: string, method: string): UpstreamFault | undefined {
    const active = faults.get(relPath);
    if (active === undefined) return undefined;
    if (method === 'HEAD' && isBodyFault(active.fault)) return undefined;
    if (active.remaining === undefined) return active.fault;
    if (active.remaining <= 0) return undefined;
    active.remaining -= 1;
    return active.fault;
  }

  async function fileInfo(relPath: string): Promise<FileInfo | undefined> {
    const absolutePath = path.join(root, relPath);
    const stats = await stat(absolutePath).catch(() => undefined);
    // A folder answers with its index.html, as web servers do (Anaconda's installer folders).
    if (stats?.isDirectory() && relPath !== '') return fileInfo(path.join(relPath, 'index.html'));
    if (stats === undefined || !stats.isFile()) return undefined;
    let cached = etags.get(absolutePath);
    if (cached === undefined || cached.size !== stats.size || cached.mtimeMs !== stats.mtimeMs) {
      keptBytes -= cached?.bytes?.length ?? 0;
      const keep = stats.size <= KEEP_FILE_BYTES && keptBytes + stats.size <= KEPT_BYTES_LIMIT;
      const bytes = keep ? await readFile(absolutePath) : undefined;
      // Read once: a file rewritten between the stat and the read is served as read, with its hash.
      const etag = `"${bytes === undefined ? await sha256OfFile(absolutePath) : createHash('sha256').update(bytes).digest('hex')}"`;
      cached = { size: bytes?.length ?? stats.size, mtimeMs: stats.mtimeMs, etag, bytes };
      keptBytes += bytes?.length ?? 0;
      etags.set(absolutePath, cached);
    }
    return { absolutePath, ...cached };
  }

  async function serveFile(
    request: IncomingMessage,
    response: ServerResponse,
    file: FileInfo,
    fault: UpstreamFault | undefined,
  ): Promise<void> {
    const lastModified = new Date(Math.floor(file.mtimeMs / 1000) * 1000);
    const headers = { ETag: file.etag, 'Last-Modified': lastModified.toUTCString() };
    const ifNoneMatch = request.headers['if-none-match'];
    const ifModifiedSince = request.headers['if-modified-since'];
    const notModified =
      ifNoneMatch !== undefined
        ? etagMatches(ifNoneMatch, file.etag)
        : ifModifiedSince !== undefined && lastModified.getTime() <= Date.parse(ifModifiedSince);
    if (notModified) {
      response.writeHead(304, headers);
      response.end();
      return;
    }
    response.writeHead(200, {
      ...headers,
      'Content-Type': contentType(file.absolutePath),
      'Content-Length': String(file.size),
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    const signal = stopping.signal;
    switch (fault?.type) {
      case 'corrupt': {
        const target = Math.floor(file.size / 2);
        let offset = 0;
        await pipeline(
          createReadStream(file.absolutePath, { highWaterMark: CHUNK_BYTES }),
          async function* flipOneByte(source: AsyncIterable<Buffer>) {
            for await (const chunk of source) {
              if (target >= offset && target < offset + chunk.length) {
                const altered = Buffer.from(chunk);
                altered[target - offset] = (altered[target - offset] ?? 0) ^ 0xff;
                yield altered;
              } else {
                yield chunk;
              }
              offset += chunk.length;
            }
          },
          response,
          { signal },
        );
        return;
      }
      case 'truncate': {
        await writeBytes(response, file, Math.min(fault.afterBytes, file.size - 1), undefined, signal);
        // end() on the socket, not the response: it flushes what was written, then closes the
        // connection with the announced Content-Length unmet.
        response.socket?.end();
        return;
      }
      case 'stall': {
        // The response stays open with the socket idle; close() or the client ends it.
        await writeBytes(response, file, Math.min(fault.afterBytes, file.size), undefined, signal);
        return;
      }
      case 'slow': {
        if (await writeBytes(response, file, file.size, fault.bytesPerSecond, signal)) response.end();
        return;
      }
      default:
        if (file.bytes !== undefined) {
          response.end(file.bytes);
          return;
        }
        await pipeline(createReadStream(file.absolutePath, { highWaterMark: CHUNK_BYTES }), response, {
          signal,
        });
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (latencyMs > 0) await sleep(latencyMs, undefined, { signal: stopping.signal });
    const resolved = resolveRequestPath(request.url ?? '/');
    if (resolved.kind === 'refused') {
      counter.add((request.url ?? '/').split('?')[0] ?? '/');
      const headers: Record<string, string> = resolved.status === 401 ? { 'WWW-Authenticate': 'Token' } : {};
      sendStatus(request, response, resolved.status, resolved.reason, headers);
      return;
    }
    const { relPath } = resolved;
    counter.add(relPath);
    if (request.headers['if-none-match'] !== undefined) conditional.add(relPath);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendStatus(request, response, 405, `method ${request.method} not allowed`, { Allow: 'GET, HEAD' });
      return;
    }
    const fault = takeFault(relPath, request.method);
    if (fault?.type === 'status') {
      sendStatus(request, response, fault.status, `fault injected: ${fault.status}`);
      return;
    }
    if (fault?.type === 'rate-limit') {
      sendStatus(request, response, 429, 'fault injected: rate limited', {
        'Retry-After': String(fault.retryAfterSeconds),
      });
      return;
    }
    const file = await fileInfo(relPath);
    if (file === undefined) {
      sendStatus(request, response, 404, `not found: ${relPath}`);
      return;
    }
    await serveFile(request, response, file, fault);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      // The client went away or the server is closing; a half-sent response can only be cut.
      if (!response.headersSent) {
        sendStatus(request, response, 500, 'fixture upstream failed to serve this file');
      } else {
        response.destroy();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const channelBase = token === undefined ? url : `${url}/t/${token}`;

  return {
    url,
    channelUrl(relPath?: string) {
      return relPath === undefined || relPath === ''
        ? channelBase
        : `${channelBase}/${normalizeRelPath(relPath)}`;
    },
    setFault(relPath, fault) {
      const key = normalizeRelPath(relPath);
      if (fault === null) {
        faults.delete(key);
      } else {
        faults.set(key, { fault, remaining: fault.times });
      }
    },
    clearFaults() {
      faults.clear();
    },
    requests: counter,
    conditionalRequests: conditional,
    resetCounts() {
      counter.reset();
      conditional.reset();
    },
    async close() {
      stopping.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
