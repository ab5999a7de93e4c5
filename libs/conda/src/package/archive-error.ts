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

export function archiveLimitExceeded(what: string, problem: string): CondaError {
  return new CondaError(CondaErrorCode.LimitExceeded, `package archive ${what}: ${problem}`);
}

/** How an archive is named in messages: its filename when known. */
export function describeArchive(filename: string | undefined, fallback: string): string {
  return filename === undefined ? fallback : JSON.stringify(filename);
}
