import { StorageError, StorageErrorCode } from './errors.ts';

interface SdkErrorShape {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function shape(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
}

export function s3ErrorName(error: unknown): string | undefined {
  const { name, Code } = shape(error);
  return Code ?? name;
}

export function s3HttpStatus(error: unknown): number | undefined {
  return shape(error).$metadata?.httpStatusCode;
}

/** NoSuchKey (GET) or NotFound (HEAD, whose 404 has no body to name the error). */
export function isS3NotFound(error: unknown): boolean {
  const name = s3ErrorName(error);
  return (
    name === 'NoSuchKey' || name === 'NotFound' || (s3HttpStatus(error) === 404 && name !== 'NoSuchBucket')
  );
}

const CHECKSUM_ERRORS = new Set([
  'BadDigest',
  'InvalidDigest',
  'XAmzContentSHA256Mismatch',
  'InvalidChecksum',
]);
// 409 ConditionalRequestConflict: AWS's answer to a conditional write racing another one on the key.
const PRECONDITION_ERRORS = new Set(['PreconditionFailed', 'ConditionalRequestConflict']);

/** Maps an SDK error to a StorageError; messages carry the S3 error name and status, never credentials. */
export function mapS3Error(error: unknown, operation: string, key: string, where: string): StorageError {
  if (error instanceof StorageError) return error;
  const name = s3ErrorName(error) ?? 'Error';
  const status = s3HttpStatus(error);
  const detail = `${name}${status === undefined ? '' : ` (HTTP ${status})`}: ${shape(error).message ?? String(error)}`;
  const make = (code: StorageErrorCode, what: string) =>
    new StorageError(code, `${operation} of key "${key}" on ${where}: ${what}; ${detail}`, {
      cause: error,
      key,
    });
  if (name === 'AbortError') return make(StorageErrorCode.Aborted, 'aborted');
  if (PRECONDITION_ERRORS.has(name) || status === 412)
    return make(StorageErrorCode.PreconditionFailed, 'condition failed');
  if (CHECKSUM_ERRORS.has(name))
    return make(StorageErrorCode.ChecksumMismatch, 'the store rejected the body checksum');
  if (name === 'IncompleteBody')
    return make(StorageErrorCode.SizeMismatch, 'the store received fewer bytes than declared');
  if (name === 'InvalidRange' || status === 416)
    return make(StorageErrorCode.RangeNotSatisfiable, 'range not satisfiable');
  return make(StorageErrorCode.Backend, 'failed');
}
