import { MirrorError, MirrorErrorCode } from '../errors.ts';
import { type BackoffPolicy, backoffDelayMs, defaultBackoff, sleep } from './backoff.ts';

export interface RetryOptions {
  /** Retries after the first attempt. */
  retries: number;
  backoff?: BackoffPolicy;
  signal?: AbortSignal;
  onRetry?(info: { attempt: number; delayMs: number; error: MirrorError }): void;
}

/**
 * Runs `attempt` until it succeeds, a permanent error is thrown, or the retries are spent.
 * Only MirrorErrors flagged `transient` are retried; anything else is a bug or a permanent fault.
 */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const backoff = options.backoff ?? defaultBackoff;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const retryable =
        error instanceof MirrorError && error.transient && error.code !== MirrorErrorCode.Cancelled;
      if (!retryable || n > options.retries || options.signal?.aborted) throw error;
      const jittered = backoffDelayMs(n, backoff);
      const delayMs =
        error.retryAfterMs === undefined ? jittered : Math.min(backoff.maxRetryAfterMs, error.retryAfterMs);
      options.onRetry?.({ attempt: n, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }
}
