import { CodecError, CodecErrorCode } from '@condasync/codecs';
import { CondaError, CondaErrorCode } from '../errors.ts';

/**
 * The code for an archive that cannot be read or must not be trusted (corrupt zip, tar, bzip2 or
 * zstd data, path traversal, links in info/, missing index.json). INVALID_RECORD because, like an
 * invalid repodata record, the package is skipped and the rest of the subdir goes on.
 */
const INVALID_ARCHIVE = CondaErrorCode.InvalidRecord;

/** "package archive <name>: <problem>", the form of every archive error message. */
export function invalidArchive(what: string, problem: string, cause?: unknown): CondaError {
  return new CondaError(
    INVALID_ARCHIVE,
    `package archive ${what}: ${problem}`,
    cause === undefined ? undefined : { cause },
  );
}

export function archiveLimitExceeded(what: string, problem: string, cause?: unknown): CondaError {
  return new CondaError(
    CondaErrorCode.LimitExceeded,
    `package archive ${what}: ${problem}`,
    cause === undefined ? undefined : { cause },
  );
}

/** How an archive is named in messages: its filename when known. */
export function describeArchive(filename: string | undefined, fallback: string): string {
  return filename === undefined ? fallback : JSON.stringify(filename);
}

/**
 * A codec's refusal (corrupt zip, tar, bzip2 or zstd data, an unsafe member name, a bomb) as the
 * archive error libs/conda raises: LIMIT_EXCEEDED stays LIMIT_EXCEEDED, everything else is
 * INVALID_RECORD, the codec error kept as the cause. Other errors pass through.
 */
export function archiveErrorFromCodec(what: string, error: unknown): unknown {
  if (!(error instanceof CodecError)) return error;
  const code = error.code === CodecErrorCode.LimitExceeded ? CondaErrorCode.LimitExceeded : INVALID_ARCHIVE;
  return new CondaError(code, `package archive ${what}: ${error.message}`, { cause: error });
}
