import { MirrorError } from '@condasync/mirror';
import { isRedisConnectionError } from '@condasync/queue';
import { StorageError, StorageErrorCode } from '@condasync/storage';

/** Closed set of error codes the API answers with. Clients branch on `code`, never on messages. */
export const ApiErrorCode = {
  /** The sync config is invalid; `details` lists every problem with its key path. */
  ConfigInvalid: 'CONFIG_INVALID',
  /** A query string, path parameter or header is malformed. */
  InvalidRequest: 'INVALID_REQUEST',
  /** Missing or wrong bearer token (or channel token). */
  Unauthorized: 'UNAUTHORIZED',
  /** A channel of the sync config is outside CONDASYNC_UPSTREAM_ALLOW (or not a public https host). */
  UpstreamNotAllowed: 'UPSTREAM_NOT_ALLOWED',
  NotFound: 'NOT_FOUND',
  /** The resource is in a state that forbids the request (e.g. cancelling a sync that ended). */
  Conflict: 'CONFLICT',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  /** `Range` starts beyond the end of the object. */
  RangeNotSatisfiable: 'RANGE_NOT_SATISFIABLE',
  /** Redis or the object store cannot be reached (or is misconfigured); retry later. */
  NotReady: 'NOT_READY',
  Internal: 'INTERNAL',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** The HTTP status of every code, in one place. */
export const API_ERROR_STATUS: Readonly<Record<ApiErrorCode, number>> = {
  CONFIG_INVALID: 400,
  INVALID_REQUEST: 400,
  // A policy refusal of what the config names, not of who sent it: the client must change the
  // config, exactly as for CONFIG_INVALID, so it is a 400 with its own code rather than a 403.
  UPSTREAM_NOT_ALLOWED: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  INTERNAL: 500,
  NOT_READY: 503,
};

/** One problem of a request, with where it is (a config key path, an env var name, a parameter). */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** The body of every error response. */
export interface ErrorBody {
  error: { code: ApiErrorCode; message: string; details?: ErrorDetail[] };
}

/** The API's one error class. Messages name the bad value and what was expected. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly details: readonly ErrorDetail[];
  /** Extra response headers (e.g. WWW-Authenticate, Content-Range). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    code: ApiErrorCode,
    message: string,
    options: { cause?: unknown; details?: readonly ErrorDetail[]; headers?: Record<string, string> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.details = options.details ?? [];
    this.headers = options.headers ?? {};
  }

  get statusCode(): number {
    return API_ERROR_STATUS[this.code];
  }
}

/** What the error handler sends, and whether the error is ours to log as a server fault. */
export interface HttpError {
  status: number;
  body: ErrorBody;
  headers: Readonly<Record<string, string>>;
  /** 5xx: log the error with its stack; the body says only what is safe to say. */
  serverFault: boolean;
}

/** Fastify's own client errors (parsers, routing, validation) with the code each maps to. */
const FASTIFY_CLIENT_ERRORS: Readonly<Record<string, ApiErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ApiErrorCode.PayloadTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ApiErrorCode.UnsupportedMediaType,
  FST_ERR_NOT_FOUND: ApiErrorCode.NotFound,
};

function body(code: ApiErrorCode, message: string, details?: readonly ErrorDetail[]): ErrorBody {
  return {
    error: {
      code,
      message,
      ...(details === undefined || details.length === 0 ? {} : { details: [...details] }),
    },
  };
}

function fromCode(code: ApiErrorCode, message: string, details?: readonly ErrorDetail[]): HttpError {
  const status = API_ERROR_STATUS[code];
  return { status, body: body(code, message, details), headers: {}, serverFault: status >= 500 };
}

/** What a 503 tells clients: the outage is expected to pass, ask again in a few seconds. */
const RETRY_LATER: Readonly<Record<string, string>> = { 'retry-after': '5' };

/**
 * The one mapping from any thrown value to an HTTP answer. 5xx bodies carry a generic message and
 * the request id, never the error's own text (which may name buckets, hosts or file paths).
 */
export function toHttpError(error: unknown, requestId: string): HttpError {
  if (error instanceof ApiError) {
    if (error.statusCode >= 500 && error.code !== ApiErrorCode.NotReady) return internal(requestId);
    const retry = error.code === ApiErrorCode.NotReady ? RETRY_LATER : {};
    return { ...fromCode(error.code, error.message, error.details), headers: { ...retry, ...error.headers } };
  }
  if (isRedisConnectionError(error)) {
    // The API's Redis connection fails fast (no offline queue, a command deadline), so a request
    // answers at once and never runs later behind the client's back.
    return {
      ...fromCode(ApiErrorCode.NotReady, `Redis is unavailable; retry later (request ${requestId})`),
      headers: RETRY_LATER,
      serverFault: true,
    };
  }
  if (error instanceof MirrorError && error.code === 'CONFIG_INVALID') {
    return fromCode(ApiErrorCode.ConfigInvalid, error.message, error.details);
  }
  if (error instanceof StorageError) {
    if (error.code === StorageErrorCode.InvalidKey) return fromCode(ApiErrorCode.NotFound, 'no such file');
    if (error.code === StorageErrorCode.Backend) {
      return {
        ...fromCode(
          ApiErrorCode.NotReady,
          `the object store is unavailable; retry later (request ${requestId})`,
        ),
        serverFault: true,
      };
    }
    return internal(requestId);
  }
  const fastifyError = error as {
    code?: unknown;
    statusCode?: unknown;
    validation?: unknown;
    message?: unknown;
  };
  if (typeof fastifyError?.code === 'string') {
    const mapped = FASTIFY_CLIENT_ERRORS[fastifyError.code];
    if (mapped !== undefined) return fromCode(mapped, String(fastifyError.message));
  }
  if (fastifyError?.validation !== undefined) {
    return fromCode(ApiErrorCode.InvalidRequest, String(fastifyError.message));
  }
  const status = typeof fastifyError?.statusCode === 'number' ? fastifyError.statusCode : 500;
  if (status >= 400 && status < 500) {
    if (status === 413) return fromCode(ApiErrorCode.PayloadTooLarge, String(fastifyError.message));
    if (status === 415) return fromCode(ApiErrorCode.UnsupportedMediaType, String(fastifyError.message));
    return { ...fromCode(ApiErrorCode.InvalidRequest, String(fastifyError.message)), status };
  }
  return internal(requestId);
}

function internal(requestId: string): HttpError {
  return fromCode(
    ApiErrorCode.Internal,
    `internal error; the server log has the details (request ${requestId})`,
  );
}
