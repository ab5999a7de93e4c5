import { createHash } from 'node:crypto';
import { abortedError, StorageError, StorageErrorCode } from './errors.ts';
import type { ByteRange, ConditionalPutOptions, PutBody, PutOptions } from './object-store.ts';

export type Condition = { ifMatch: string } | { ifNoneMatch: '*' };

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Validates size and sha256 before any I/O; returns the sha256 in lowercase. */
export function checkPutOptions(key: string, options: PutOptions): string {
  const { size, sha256 } = options;
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new StorageError(
      StorageErrorCode.InvalidArgument,
      `put of key "${key}": size must be a non-negative integer, got ${String(size)}`,
      { key },
    );
  }
  const normalized = typeof sha256 === 'string' ? sha256.toLowerCase() : '';
  if (!SHA256_HEX.test(normalized)) {
    throw new StorageError(
      StorageErrorCode.InvalidArgument,
      `put of key "${key}": sha256 must be 64 hex digits, got ${JSON.stringify(sha256)}`,
      { key },
    );
  }
  return normalized;
}

/** Validates a range's shape (not against the object size). */
export function checkRange(key: string, range: ByteRange | undefined): void {
  if (range === undefined) return;
  const { start, end } = range;
  const badStart = !Number.isSafeInteger(start) || start < 0;
  const badEnd = end !== undefined && (!Number.isSafeInteger(end) || end < start);
  if (badStart || badEnd) {
    throw new StorageError(
      StorageErrorCode.InvalidArgument,
      `get of key "${key}": range must be {start >= 0, end >= start}, got ${JSON.stringify(range)}`,
      { key },
    );
  }
}

/** Throws RANGE_NOT_SATISFIABLE when `range` starts beyond the object; returns the inclusive end. */
export function resolveRange(key: string, range: ByteRange, size: number): { start: number; end: number } {
  if (range.start >= size) {
    throw new StorageError(
      StorageErrorCode.RangeNotSatisfiable,
      `get of key "${key}": range start ${range.start} is not below the object size ${size}`,
      { key },
    );
  }
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) };
}

export function sizeMismatch(key: string, expected: number, actual: string): StorageError {
  return new StorageError(
    StorageErrorCode.SizeMismatch,
    `put of key "${key}": expected ${expected} bytes, got ${actual}`,
    { key },
  );
}

export function checksumMismatch(key: string, expected: string, actual: string): StorageError {
  return new StorageError(
    StorageErrorCode.ChecksumMismatch,
    `put of key "${key}": expected sha256 ${expected}, got ${actual}`,
    { key },
  );
}

/** Checks an in-memory body against size and sha256 without any I/O. */
export function verifyBuffer(key: string, body: Uint8Array, size: number, sha256: string): void {
  if (body.byteLength !== size) throw sizeMismatch(key, size, String(body.byteLength));
  const actual = createHash('sha256').update(body).digest('hex');
  if (actual !== sha256) throw checksumMismatch(key, sha256, actual);
}

function isDestroyable(value: unknown): value is { destroy(error?: Error): void; destroyed?: boolean } {
  return typeof (value as { destroy?: unknown }).destroy === 'function';
}

/**
 * After a failed put, destroys a stream body that was not (fully) read, so that an upstream
 * connection feeding it is released instead of waiting for a reader that will never come.
 */
export function releaseBody(body: PutBody): void {
  if (isDestroyable(body) && body.destroyed !== true) body.destroy();
}

/**
 * Yields the body's chunks but holds the last one back until the source has ended and exactly
 * `size` bytes with `sha256` went through. A consumer that publishes only once it has received
 * `size` bytes (an S3 PUT with Content-Length, a temp file renamed after the loop) therefore never
 * publishes wrong, short or over-long bytes. Throws SIZE_MISMATCH, CHECKSUM_MISMATCH, ABORTED.
 */
export async function* verifiedChunks(
  key: string,
  body: PutBody,
  size: number,
  sha256: string,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  if (signal?.aborted) throw abortedError(key, 'put', signal);
  if (body instanceof Uint8Array) {
    verifyBuffer(key, body, size, sha256);
    if (body.byteLength > 0) yield body;
    return;
  }
  // A stalled source (an upstream that stops sending) would block the loop forever: destroying a
  // stream source on abort makes its pending read fail.
  const onAbort = () => {
    if (isDestroyable(body)) body.destroy(abortedError(key, 'put', signal!));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const hash = createHash('sha256');
    let received = 0;
    let held: Uint8Array | undefined;
    for await (const chunk of body) {
      if (signal?.aborted) throw abortedError(key, 'put', signal);
      if (!(chunk instanceof Uint8Array)) {
        throw new StorageError(
          StorageErrorCode.InvalidArgument,
          `put of key "${key}": body chunks must be Uint8Array, got ${typeof chunk}`,
          { key },
        );
      }
      received += chunk.byteLength;
      if (received > size) throw sizeMismatch(key, size, `more (at least ${received})`);
      hash.update(chunk);
      if (held !== undefined) yield held;
      held = chunk;
    }
    if (signal?.aborted) throw abortedError(key, 'put', signal);
    if (received !== size) throw sizeMismatch(key, size, String(received));
    const actual = hash.digest('hex');
    if (actual !== sha256) throw checksumMismatch(key, sha256, actual);
    if (held !== undefined && held.byteLength > 0) yield held;
  } catch (error) {
    if (signal?.aborted && !(error instanceof StorageError)) throw abortedError(key, 'put', signal);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Exactly one of ifMatch (a non-empty ETag) or ifNoneMatch '*'; INVALID_ARGUMENT otherwise. */
export function checkCondition(key: string, options: ConditionalPutOptions): Condition {
  const ifMatch = (options as { ifMatch?: unknown }).ifMatch;
  const ifNoneMatch = (options as { ifNoneMatch?: unknown }).ifNoneMatch;
  if (typeof ifMatch === 'string' && ifMatch !== '' && ifNoneMatch === undefined) return { ifMatch };
  if (ifNoneMatch === '*' && ifMatch === undefined) return { ifNoneMatch };
  throw new StorageError(
    StorageErrorCode.InvalidArgument,
    `conditional put of key "${key}": give exactly one of ifMatch (an ETag) or ifNoneMatch '*', got ` +
      JSON.stringify({ ifMatch, ifNoneMatch }),
    { key },
  );
}
