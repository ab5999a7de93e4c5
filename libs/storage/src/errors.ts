/** Closed set of error codes raised by libs/storage. Callers branch on `code`, never on messages. */
export const StorageErrorCode = {
  /** The key (or list prefix) could escape the store's prefix or cannot round-trip; no I/O was done. */
  InvalidKey: 'INVALID_KEY',
  /** Malformed options: size, sha256, range shape, store URL or store configuration. */
  InvalidArgument: 'INVALID_ARGUMENT',
  /** The range starts at or beyond the end of the object (HTTP 416). */
  RangeNotSatisfiable: 'RANGE_NOT_SATISFIABLE',
  /** The body's sha256 differs from the expected one; nothing was published. */
  ChecksumMismatch: 'CHECKSUM_MISMATCH',
  /** The body has fewer or more bytes than declared; nothing was published. */
  SizeMismatch: 'SIZE_MISMATCH',
  /** If-Match / If-None-Match did not hold (or a concurrent conditional write won). */
  PreconditionFailed: 'PRECONDITION_FAILED',
  /** The caller's AbortSignal fired; nothing was published. */
  Aborted: 'ABORTED',
  /** Anything else from the backend (I/O error, network, 5xx, permissions). Usually worth a retry. */
  Backend: 'BACKEND',
} as const;
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

/** The one error class of libs/storage. Messages name the key and expected vs actual values. */
export class StorageError extends Error {
  readonly code: StorageErrorCode;
  /** The object key concerned, when there is one. */
  readonly key: string | undefined;
  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown; key?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StorageError';
    this.code = code;
    this.key = options?.key;
  }
}

export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code);
}

/** The error to throw when `signal` fired; keeps the signal's reason as the cause. */
export function abortedError(key: string, operation: string, signal: AbortSignal): StorageError {
  return new StorageError(StorageErrorCode.Aborted, `${operation} of key "${key}" was aborted`, {
    cause: signal.reason,
    key,
  });
}

/** Wraps any non-StorageError into BACKEND (or ABORTED for abort errors), keeping it as the cause. */
export function wrapBackendError(
  error: unknown,
  operation: string,
  key: string,
  where: string,
): StorageError {
  if (error instanceof StorageError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    const code = error.name === 'AbortError' ? StorageErrorCode.Aborted : StorageErrorCode.Backend;
    return new StorageError(code, `${operation} of key "${key}" on ${where}: ${message}`, {
      cause: error,
      key,
    });
  }
  return new StorageError(
    StorageErrorCode.Backend,
    `${operation} of key "${key}" failed on ${where}: ${message}`,
    {
      cause: error,
      key,
    },
  );
}
