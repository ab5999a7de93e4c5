import { MirrorError, MirrorErrorCode } from '../errors.ts';
import { asMirrorError, isIntegrityError, type PackageTask } from './package.ts';

/**
 * What a failed attempt at copying a package was:
 * - `transient`: the upstream or the store may answer next time (timeouts, resets, 5xx, 429);
 * - `permanent`: no attempt will help (404, a file missing from a `file://` channel);
 * - `integrity`: the bytes did not match repodata's size or checksum. Once may be a flaky proxy;
 *   INTEGRITY_FAILURES_ALLOWED times means the upstream file itself is corrupt;
 * - `cancelled`: the run is stopping; the package neither failed nor succeeded.
 */
export type AttemptKind = 'transient' | 'permanent' | 'integrity' | 'cancelled';

/** Integrity failures that make a package count as corrupt upstream. */
export const INTEGRITY_FAILURES_ALLOWED = 2;

export interface AttemptHistory {
  /** This attempt's number, from 1. */
  attempt: number;
  /** Attempts allowed in all (the config's `retries` + 1). */
  maxAttempts: number;
  /** Integrity failures of the earlier attempts. */
  integrityFailures: number;
}

export interface AttemptVerdict {
  kind: AttemptKind;
  error: MirrorError;
  /** No other attempt follows: the package failed for good (or, when `cancelled`, the run stops). */
  final: boolean;
  /** Integrity failures including this attempt's (what the next attempt's history carries). */
  integrityFailures: number;
}

/**
 * The one retry policy of package copies, for both runners: the local mode retries in process, a
 * worker lets BullMQ retry the job; both ask this whether another attempt is worth it.
 */
export function judgeAttempt(
  error: unknown,
  task: Pick<PackageTask, 'subdir' | 'filename'>,
  history: AttemptHistory,
): AttemptVerdict {
  const mirrorError = asMirrorError(error, task);
  const outOfAttempts = history.attempt >= history.maxAttempts;
  if (mirrorError.code === MirrorErrorCode.Cancelled) {
    return {
      kind: 'cancelled',
      error: mirrorError,
      final: true,
      integrityFailures: history.integrityFailures,
    };
  }
  if (isIntegrityError(mirrorError)) {
    const integrityFailures = history.integrityFailures + 1;
    const corrupt = integrityFailures >= INTEGRITY_FAILURES_ALLOWED;
    return {
      kind: 'integrity',
      // Flagged as what it now is, so a retry loop that reads `transient` agrees with `final`.
      error: new MirrorError(mirrorError.code, mirrorError.message, {
        cause: mirrorError.cause,
        transient: !corrupt,
      }),
      final: corrupt || outOfAttempts,
      integrityFailures,
    };
  }
  const kind = mirrorError.transient ? 'transient' : 'permanent';
  return {
    kind,
    error: mirrorError,
    final: kind === 'permanent' || outOfAttempts,
    integrityFailures: history.integrityFailures,
  };
}
