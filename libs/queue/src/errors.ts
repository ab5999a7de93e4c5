/** Closed set of error codes raised by libs/queue. Callers branch on `code`, never on messages. */
export const QueueErrorCode = {
  /** The sync's registry entry could not be written (Redis unavailable): nothing was submitted. */
  SyncNotRecorded: 'SYNC_NOT_RECORDED',
  /** The sync was recorded but its plan job could not be added; the sync is marked failed. */
  PlanNotQueued: 'PLAN_NOT_QUEUED',
  /** An Idempotency-Key already names a submission of another config. */
  IdempotencyConflict: 'IDEMPOTENCY_CONFLICT',
  /** CONDASYNC_REDIS_URL is neither a redis(s):// URL nor a redis+sentinel:// set. */
  RedisUrlInvalid: 'REDIS_URL_INVALID',
} as const;
export type QueueErrorCode = (typeof QueueErrorCode)[keyof typeof QueueErrorCode];

/** The one error class of libs/queue. */
export class QueueError extends Error {
  readonly code: QueueErrorCode;
  constructor(code: QueueErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'QueueError';
    this.code = code;
  }
}
