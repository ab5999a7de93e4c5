/** Closed set of error codes raised by libs/conda. Callers branch on `code`, never on messages. */
export const CondaErrorCode = {
  InvalidFilename: 'INVALID_FILENAME',
  InvalidRecord: 'INVALID_RECORD',
  SubdirMismatch: 'SUBDIR_MISMATCH',
  MalformedJson: 'MALFORMED_JSON',
  InvalidMatchSpec: 'INVALID_MATCHSPEC',
  InvalidVersion: 'INVALID_VERSION',
  InvalidFilter: 'INVALID_FILTER',
  LimitExceeded: 'LIMIT_EXCEEDED',
} as const;
export type CondaErrorCode = (typeof CondaErrorCode)[keyof typeof CondaErrorCode];

/** The one error class of libs/conda. Messages name the bad value and what was expected. */
export class CondaError extends Error {
  readonly code: CondaErrorCode;
  constructor(code: CondaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CondaError';
    this.code = code;
  }
}
