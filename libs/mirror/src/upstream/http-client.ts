import { Agent, type Dispatcher, request } from 'undici';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import { parseRetryAfterMs } from './backoff.ts';
import { redactToken } from './channel-source.ts';

export interface UpstreamHttpOptions {
  /** Cap on concurrent connections per upstream origin (undici's default is unlimited). */
  connectionsPerHost: number;
  userAgent: string;
  /** Time to wait for response headers. */
  headersTimeoutMs: number;
  /** Longest silence between two body chunks; the throughput watchdog covers slow drips. */
  bodyTimeoutMs: number;
  /** Window over which the minimum throughput is averaged (and the grace before it applies). */
  throughputWindowMs: number;
  /** Metric hook: one call per request with a bounded outcome label (`2xx`, `4xx`, `timeout`, …). */
  onRequest?: (outcome: string) => void;
}

export const defaultHttpOptions: UpstreamHttpOptions = {
  connectionsPerHost: 16,
  userAgent: 'condasync',
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 60_000,
  throughputWindowMs: 10_000,
};

export interface UpstreamRequest {
  headers?: Record<string, string>;
  method?: 'GET' | 'HEAD';
  /** Aborts the whole request, e.g. a cancelled sync. */
  signal?: AbortSignal;
  /** Overall deadline for headers and body together. */
  deadlineMs: number;
  /** Minimum average rate over a sliding window, enforced after the window has elapsed once. */
  minBytesPerSecond: number;
  /** Statuses the caller handles itself instead of getting an error (e.g. 304, 404 for optional files). */
  acceptStatuses?: readonly number[];
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body, guarded by the deadline and the throughput watchdog. Consume it or call `dispose`. */
  body: AsyncIterable<Uint8Array>;
  dispose(): Promise<void>;
}

const WATCHDOG_TICK_MS = 250;

/** HTTP client for upstream channels: pooled per origin, deadline and minimum-throughput aware. */
export class UpstreamHttp {
  readonly #agent: Agent;
  readonly #options: UpstreamHttpOptions;

  constructor(options: Partial<UpstreamHttpOptions> = {}) {
    this.#options = { ...defaultHttpOptions, ...options };
    this.#agent = new Agent({
      connections: this.#options.connectionsPerHost,
      headersTimeout: this.#options.headersTimeoutMs,
      bodyTimeout: this.#options.bodyTimeoutMs,
      keepAliveTimeout: 4_000,
    });
  }

  /** Sends one request. Non-accepted statuses throw a MirrorError that says whether a retry may help. */
  async request(url: string, options: UpstreamRequest): Promise<UpstreamResponse> {
    const display = redactToken(url);
    const watchdog = new AbortController();
    const deadline = AbortSignal.timeout(options.deadlineMs);
    const signals = [watchdog.signal, deadline];
    if (options.signal) signals.push(options.signal);
    const combined = AbortSignal.any(signals);
    const explain = (error: unknown): MirrorError =>
      abortReason(error, { display, deadline, watchdog: watchdog.signal, external: options.signal, options });

    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: options.method ?? 'GET',
        headers: { 'user-agent': this.#options.userAgent, ...options.headers },
        signal: combined,
        dispatcher: this.#agent,
      });
    } catch (error) {
      const explained = explain(error);
      this.#options.onRequest?.(explained.code === MirrorErrorCode.UpstreamTimeout ? 'timeout' : 'error');
      throw explained;
    }
    this.#options.onRequest?.(`${Math.floor(response.statusCode / 100)}xx`);
    const accepted = options.acceptStatuses ?? [];
    if (
      response.statusCode !== 200 &&
      response.statusCode !== 206 &&
      !accepted.includes(response.statusCode)
    ) {
      await response.body.dump().catch(() => {});
      throw statusError(response.statusCode, display, response.headers['retry-after']);
    }
    const body = guardBody(
      response.body,
      watchdog,
      options.minBytesPerSecond,
      this.#options.throughputWindowMs,
      explain,
    );
    return {
      status: response.statusCode,
      headers: response.headers,
      body,
      dispose: async () => {
        await response.body.dump().catch(() => {});
      },
    };
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

/** Maps an HTTP status to an error that names it and says whether retrying makes sense. */
export function statusError(status: number, display: string, retryAfter?: string | string[]): MirrorError {
  const transient = status === 408 || status === 429 || status >= 500;
  const retryAfterMs = parseRetryAfterMs(retryAfter) ?? undefined;
  const hint =
    status === 401 || status === 403
      ? ' (access denied: check the channel token)'
      : status === 404 || status === 410
        ? ' (not found upstream)'
        : '';
  return new MirrorError(MirrorErrorCode.UpstreamHttp, `${display} answered HTTP ${status}${hint}`, {
    transient,
    retryAfterMs,
  });
}

/** Counts bytes and aborts the request when the average rate over the window drops below the minimum. */
async function* guardBody(
  body: AsyncIterable<Uint8Array>,
  watchdog: AbortController,
  minBytesPerSecond: number,
  windowMs: number,
  explain: (error: unknown) => MirrorError,
): AsyncGenerator<Uint8Array> {
  const startedAt = Date.now();
  let windowStart = startedAt;
  let windowBytes = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    const elapsed = now - windowStart;
    if (elapsed < windowMs) return;
    const rate = (windowBytes * 1000) / elapsed;
    if (rate < minBytesPerSecond) {
      watchdog.abort(
        new MirrorError(
          MirrorErrorCode.UpstreamTimeout,
          `transfer too slow: ${Math.round(rate)} B/s over ${Math.round(elapsed / 1000)} s, minimum ${minBytesPerSecond} B/s`,
          { transient: true },
        ),
      );
      return;
    }
    windowStart = now;
    windowBytes = 0;
  }, WATCHDOG_TICK_MS);
  try {
    for await (const chunk of body) {
      windowBytes += chunk.byteLength;
      yield chunk;
    }
  } catch (error) {
    throw explain(error);
  } finally {
    clearInterval(timer);
  }
}

interface AbortContext {
  display: string;
  deadline: AbortSignal;
  watchdog: AbortSignal;
  external: AbortSignal | undefined;
  options: UpstreamRequest;
}

/** Turns whatever undici threw into a MirrorError that names the cause (deadline, watchdog, cancel, network). */
function abortReason(error: unknown, ctx: AbortContext): MirrorError {
  if (error instanceof MirrorError) return error;
  if (ctx.external?.aborted) {
    return new MirrorError(MirrorErrorCode.Cancelled, `request to ${ctx.display} was cancelled`, {
      cause: error,
    });
  }
  if (ctx.watchdog.aborted && ctx.watchdog.reason instanceof MirrorError) {
    const reason = ctx.watchdog.reason;
    return new MirrorError(reason.code, `${ctx.display}: ${reason.message}`, {
      cause: error,
      transient: true,
    });
  }
  if (ctx.deadline.aborted) {
    return new MirrorError(
      MirrorErrorCode.UpstreamTimeout,
      `${ctx.display}: no complete answer within the ${Math.round(ctx.options.deadlineMs / 1000)} s deadline`,
      { cause: error, transient: true },
    );
  }
  const code = (error as { code?: string }).code ?? 'UNKNOWN';
  const message = error instanceof Error ? error.message : String(error);
  const timeout =
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT';
  return new MirrorError(
    timeout ? MirrorErrorCode.UpstreamTimeout : MirrorErrorCode.UpstreamHttp,
    `${ctx.display}: ${message} (${code})`,
    // Network-level failures (reset, refused, truncated body) are worth another try.
    { cause: error, transient: true },
  );
}
