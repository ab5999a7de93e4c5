import { Agent, type Dispatcher, request } from 'undici';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import { parseRetryAfterMs } from './backoff.ts';
import { alternateSpelling } from './channel-source.ts';
import { isNonPublicLiteral, NonPublicAddressError, publicOnlyLookup } from './public-address.ts';
import { redactUrl } from './redaction.ts';

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
  /**
   * Connect only to public addresses (checked at connect time, on every address DNS gives):
   * workers without CONDASYNC_UPSTREAM_ALLOW, so a sync cannot reach the internal network.
   */
  publicAddressesOnly?: boolean;
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
      ...(this.#options.publicAddressesOnly ? { connect: { lookup: publicOnlyLookup } } : {}),
    });
  }

  /** Sends one request. Non-accepted statuses throw a MirrorError that says whether a retry may help. */
  async request(url: string, options: UpstreamRequest): Promise<UpstreamResponse> {
    const display = redactUrl(url);
    // A lookup is never made for an address literal, so those are judged here.
    if (this.#options.publicAddressesOnly && isNonPublicLiteral(new URL(url).hostname)) {
      throw new MirrorError(
        MirrorErrorCode.UpstreamHttp,
        `${display} names a loopback, private or link-local address, which syncs may not reach without CONDASYNC_UPSTREAM_ALLOW`,
        { transient: false },
      );
    }
    // One controller for the deadline, the watchdog and the caller's cancel signal. AbortSignal.any
    // plus AbortSignal.timeout cost several allocations, weak refs and a timer that outlives the
    // request, per request: a visible share of a small package's CPU time.
    const abort = new RequestAbort(options.deadlineMs, options.signal);
    const explain = (error: unknown): MirrorError => abortReason(error, { display, abort, options });

    let response = await this.#send(url, options, abort, explain);
    // conda spells `a+b.conda` with a literal '+', our older requests said `%2B`; upstreams disagree
    // on whether both name the file. One more request with the other spelling settles it.
    const alternate = response.statusCode === 404 ? alternateSpelling(url) : null;
    if (alternate !== null) {
      await response.body.dump().catch(() => {});
      response = await this.#send(alternate, options, abort, explain);
    }
    const accepted = options.acceptStatuses ?? [];
    if (
      response.statusCode !== 200 &&
      response.statusCode !== 206 &&
      !accepted.includes(response.statusCode)
    ) {
      await response.body.dump().catch(() => {});
      abort.done();
      throw statusError(response.statusCode, display, response.headers['retry-after']);
    }
    const body = guardBody(
      response.body,
      abort,
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
        abort.done();
      },
    };
  }

  async #send(
    url: string,
    options: UpstreamRequest,
    abort: RequestAbort,
    explain: (error: unknown) => MirrorError,
  ): Promise<Dispatcher.ResponseData> {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: options.method ?? 'GET',
        headers: { 'user-agent': this.#options.userAgent, ...options.headers },
        signal: abort.signal,
        dispatcher: this.#agent,
      });
    } catch (error) {
      abort.done();
      const explained = explain(error);
      this.#options.onRequest?.(explained.code === MirrorErrorCode.UpstreamTimeout ? 'timeout' : 'error');
      throw explained;
    }
    this.#options.onRequest?.(`${Math.floor(response.statusCode / 100)}xx`);
    return response;
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

type AbortCause = 'deadline' | 'watchdog' | 'cancelled';

/**
 * Aborts one request on its overall deadline, on the watchdog's verdict, or when the caller's
 * signal fires, and remembers which. `done()` stops the deadline timer and unhooks the caller's
 * signal (a long-lived one, such as a sync's cancel signal, would otherwise collect a listener per
 * request).
 */
class RequestAbort {
  readonly #controller = new AbortController();
  readonly #external: AbortSignal | undefined;
  readonly #timer: NodeJS.Timeout;
  readonly #onExternal = (): void => this.abort('cancelled');
  cause: AbortCause | undefined;

  constructor(deadlineMs: number, external: AbortSignal | undefined) {
    this.#external = external;
    this.#timer = setTimeout(() => this.abort('deadline'), deadlineMs);
    this.#timer.unref();
    if (external?.aborted) this.abort('cancelled');
    else external?.addEventListener('abort', this.#onExternal, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  abort(cause: AbortCause, reason?: MirrorError): void {
    if (this.#controller.signal.aborted) return;
    this.cause = cause;
    this.done();
    this.#controller.abort(reason);
  }

  done(): void {
    clearTimeout(this.#timer);
    this.#external?.removeEventListener('abort', this.#onExternal);
  }
}

/** Counts bytes and aborts the request when the average rate over the window drops below the minimum. */
async function* guardBody(
  body: AsyncIterable<Uint8Array>,
  abort: RequestAbort,
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
      abort.abort(
        'watchdog',
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
    abort.done();
  }
}

interface AbortContext {
  display: string;
  abort: RequestAbort;
  options: UpstreamRequest;
}

/** Turns whatever undici threw into a MirrorError that names the cause (deadline, watchdog, cancel, network). */
function abortReason(error: unknown, ctx: AbortContext): MirrorError {
  if (error instanceof MirrorError) return error;
  const { cause, signal } = ctx.abort;
  if (cause === 'cancelled' || ctx.options.signal?.aborted) {
    return new MirrorError(MirrorErrorCode.Cancelled, `request to ${ctx.display} was cancelled`, {
      cause: error,
    });
  }
  if (cause === 'watchdog' && signal.reason instanceof MirrorError) {
    const reason = signal.reason;
    return new MirrorError(reason.code, `${ctx.display}: ${reason.message}`, {
      cause: error,
      transient: true,
    });
  }
  if (cause === 'deadline') {
    return new MirrorError(
      MirrorErrorCode.UpstreamTimeout,
      `${ctx.display}: no complete answer within the ${Math.round(ctx.options.deadlineMs / 1000)} s deadline`,
      { cause: error, transient: true },
    );
  }
  if (error instanceof NonPublicAddressError) {
    return new MirrorError(MirrorErrorCode.UpstreamHttp, `${ctx.display}: ${error.message}`, {
      cause: error,
      transient: false,
    });
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
