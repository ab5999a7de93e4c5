import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { S3Client } from '@aws-sdk/client-s3';
import { StorageError, StorageErrorCode } from './errors.ts';
import { validateKey } from './keys.ts';
import type { OperationHook } from './object-store.ts';
import { s3Sdk } from './s3-sdk.ts';

const MiB = 1024 * 1024;
/** S3's smallest allowed part (all but the last). */
const MIN_PART_SIZE = 5 * MiB;

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing "/"; '' for the bucket root. */
  prefix?: string;
  /** e.g. http://127.0.0.1:9000 for MinIO or moto; omit for AWS. */
  endpoint?: string;
  /** Default us-east-1. */
  region?: string;
  /** Omit to use the SDK's default chain (environment, shared config, IRSA / web identity). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Path-style URLs (http://host/bucket/key), needed by MinIO, moto and most self-hosted stores. */
  forcePathStyle?: boolean;
  /** Keep-alive sockets per client; keep ≥ the number of concurrent transfers. Default 256. */
  maxSockets?: number;
  /** SDK attempts for requests whose body can be replayed (the SDK never retries streamed bodies). Default 3. */
  maxAttempts?: number;
  /** Objects of at least this many bytes are uploaded in parts. Default 64 MiB. */
  multipartThreshold?: number;
  /** Part size, at least 5 MiB (S3's minimum). Default 8 MiB. */
  partSize?: number;
  /** Parts in flight per multipart upload. Default 4. */
  partConcurrency?: number;
  onOperation?: OperationHook;
  /** Receives the SDK's warnings (e.g. "socket usage at capacity"); pino loggers fit. Default: none. */
  logger?: S3Logger;
}

export interface S3Logger {
  debug(...content: unknown[]): void;
  info(...content: unknown[]): void;
  warn(...content: unknown[]): void;
  error(...content: unknown[]): void;
}

/** Options after defaults and validation. */
export interface S3Settings {
  bucket: string;
  prefix: string;
  multipartThreshold: number;
  partSize: number;
  partConcurrency: number;
  /** For logs: bucket, prefix and endpoint origin, never credentials. */
  description: string;
}

// The SDK warns on every failed streamed request; ours fail on purpose when a body does not verify.
const EXPECTED_STREAM_WARNING = 'An error was encountered in a non-retryable streaming request.';

/** Without a logger the SDK would write to the console, which library code must not do. */
function sdkLogger(logger: S3Logger | undefined): S3Logger {
  const ignore = () => {};
  return {
    debug: logger === undefined ? ignore : (...content) => logger.debug(...content),
    info: logger === undefined ? ignore : (...content) => logger.info(...content),
    warn: (...content) => {
      if (logger !== undefined && content[0] !== EXPECTED_STREAM_WARNING) logger.warn(...content);
    },
    error: logger === undefined ? ignore : (...content) => logger.error(...content),
  };
}

function invalid(message: string, cause?: unknown): StorageError {
  return new StorageError(
    StorageErrorCode.InvalidArgument,
    message,
    cause === undefined ? undefined : { cause },
  );
}

function positiveInteger(name: string, value: number | undefined, fallback: number, minimum = 1): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result < minimum) {
    throw invalid(`S3 store option ${name} must be an integer >= ${minimum}, got ${String(value)}`);
  }
  return result;
}

/** Strips user info, path and query from an endpoint so it can appear in logs. */
function safeEndpoint(endpoint: string): string {
  try {
    return new URL(endpoint).origin;
  } catch (error) {
    throw invalid('S3 endpoint is not a valid URL', error);
  }
}

/** Validates the options and applies defaults; INVALID_ARGUMENT names the bad option. */
export function s3Settings(options: S3StoreOptions): S3Settings {
  if (typeof options.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
    throw invalid(`invalid S3 bucket name ${JSON.stringify(options.bucket)}`);
  }
  const prefix = options.prefix ?? '';
  if (prefix !== '') {
    try {
      validateKey(prefix);
    } catch (error) {
      throw invalid(`invalid S3 prefix: ${(error as Error).message}`, error);
    }
  }
  const endpoint = options.endpoint === undefined ? '' : ` at ${safeEndpoint(options.endpoint)}`;
  return {
    bucket: options.bucket,
    prefix,
    multipartThreshold: positiveInteger('multipartThreshold', options.multipartThreshold, 64 * MiB),
    partSize: positiveInteger('partSize', options.partSize, 8 * MiB, MIN_PART_SIZE),
    partConcurrency: positiveInteger('partConcurrency', options.partConcurrency, 4),
    description: `s3://${options.bucket}${prefix === '' ? '' : `/${prefix}`}${endpoint}`,
  };
}

/** An S3 client that works with S3-compatible stores and keeps enough sockets alive. */
export function createS3Client(options: S3StoreOptions): S3Client {
  const maxSockets = positiveInteger('maxSockets', options.maxSockets, 256);
  return new (s3Sdk().S3Client)({
    region: options.region ?? 'us-east-1',
    forcePathStyle: options.forcePathStyle ?? false,
    // The SDK's default (WHEN_SUPPORTED) streams bodies as aws-chunked with a CRC32 trailer, which
    // several S3-compatible stores reject; we send our own ChecksumSHA256 instead.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // The SDK's default of 50 sockets queues requests silently beyond that (aws-sdk-js-v3#7027).
    requestHandler: {
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    },
    maxAttempts: positiveInteger('maxAttempts', options.maxAttempts, 3),
    logger: sdkLogger(options.logger),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  });
}
