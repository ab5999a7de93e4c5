/** Closed set of error codes raised by libs/mirror. Callers branch on `code`, never on messages. */
export const MirrorErrorCode = {
  ConfigInvalid: 'CONFIG_INVALID',
  UpstreamHttp: 'UPSTREAM_HTTP',
  UpstreamTimeout: 'UPSTREAM_TIMEOUT',
  ChecksumMismatch: 'CHECKSUM_MISMATCH',
  SizeMismatch: 'SIZE_MISMATCH',
  RepodataInvalid: 'REPODATA_INVALID',
  Storage: 'STORAGE',
  Cancelled: 'CANCELLED',
  Locked: 'LOCKED',
  /** A bundle whose members do not match its manifest or its records; `details` names each bad member. */
  BundleInvalid: 'BUNDLE_INVALID',
  /** A delta bundle built on top of other metadata than the destination publishes. */
  BundleBaseMismatch: 'BUNDLE_BASE_MISMATCH',
  /** A metadata generation that the channel never had, or that was pruned after its grace period. */
  GenerationUnknown: 'GENERATION_UNKNOWN',
  /** A rollback whose generation lists files the store no longer holds; `details` names them. */
  GenerationIncomplete: 'GENERATION_INCOMPLETE',
} as const;
export type MirrorErrorCode = (typeof MirrorErrorCode)[keyof typeof MirrorErrorCode];

/** One problem found in a sync config, with the key path it belongs to (e.g. `blacklist[2].version`). */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** The one error class of libs/mirror. Messages name the bad value and what was expected. */
export class MirrorError extends Error {
  readonly code: MirrorErrorCode;
  /** For CONFIG_INVALID: every problem found, not just the first. */
  readonly details: readonly ConfigProblem[];
  /** For upstream faults: whether a retry may succeed. */
  readonly transient: boolean;
  /** For 429/503 answers: how long the upstream asked us to wait. */
  readonly retryAfterMs: number | undefined;
  constructor(
    code: MirrorErrorCode,
    message: string,
    options: {
      cause?: unknown;
      details?: readonly ConfigProblem[];
      transient?: boolean;
      retryAfterMs?: number;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'MirrorError';
    this.code = code;
    this.details = options.details ?? [];
    this.transient = options.transient ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}
