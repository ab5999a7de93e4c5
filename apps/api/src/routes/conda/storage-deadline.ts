import { ApiError, ApiErrorCode } from '../../errors.ts';

/**
 * How long serving waits for the object store to answer one read (the object's info, or the first
 * byte of a get). A stopped or paused S3 server otherwise holds the request until the client gives
 * up, and every client retrying piles more sockets on it.
 */
export const DEFAULT_STORAGE_READ_DEADLINE_MS = 10_000;

/** Seconds a client is asked to wait before retrying after a storage timeout. */
const RETRY_AFTER_SECONDS = 5;

/**
 * Runs one store read under a deadline. `read` gets a signal that fires at the deadline (the S3
 * store aborts its request with it); reads that take no signal are abandoned instead. Past the
 * deadline the request fails with NOT_READY (503, Retry-After), which the error handler logs.
 */
export async function withStorageDeadline<T>(
  operation: string,
  deadlineMs: number,
  read: (signal: AbortSignal) => Promise<T>,
  /** Releases what a read that answered after the deadline returned (an open body). */
  discardLate?: (value: T) => void,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new ApiError(
        ApiErrorCode.NotReady,
        `the object store did not answer a ${operation} within ${deadlineMs / 1000} s; retry later`,
        { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } },
      );
      controller.abort(error);
      reject(error);
    }, deadlineMs);
  });
  const pending = read(controller.signal);
  // The abandoned read may still settle (or fail on the abort) after the deadline answered.
  pending.then(
    (value) => {
      if (controller.signal.aborted) discardLate?.(value);
    },
    () => {},
  );
  try {
    return await Promise.race([pending, expired]);
  } finally {
    clearTimeout(timer);
  }
}
