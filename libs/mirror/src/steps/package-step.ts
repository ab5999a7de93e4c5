import { MirrorError, MirrorErrorCode } from '../errors.ts';
import { backoffDelayMs, defaultBackoff, sleep } from '../upstream/backoff.ts';
import { copyPackage, type PackageContext, type PackageTask } from './package.ts';
import {
  type AttemptHistory,
  type AttemptKind,
  type AttemptVerdict,
  judgeAttempt,
} from './package-attempt.ts';
import { channelAt, downloadLimitsOf, type SyncRun, scratchDirOf } from './sync-run.ts';

/** One file the plan wants copied: the payload of a package job, and an entry of a local run. */
export interface PlannedPackage {
  subdir: string;
  filename: string;
  /** Position of the upstream channel in the config's `channels`. */
  channelIndex: number;
  size: number;
  sha256?: string | undefined;
  md5?: string | undefined;
}

export type PackageStepResult =
  /** Already in the store with the planned size and sha256 (only with `skipStored`). */
  | { status: 'present' }
  | { status: 'downloaded'; bytes: number }
  /** This attempt failed; another one may succeed. */
  | { status: 'retry'; verdict: AttemptVerdict }
  /** Failed for good: report it with the verdict's code and reason. */
  | { status: 'failed'; verdict: AttemptVerdict };

export interface PackageStepOptions {
  history: AttemptHistory;
  /**
   * Look in the store first: a job retried after a crash, or another sync of the same channel, may
   * have stored the file already. A local run's plan has just looked, so it skips this.
   */
  skipStored?: boolean;
}

/** What the local mode reports for one package once every attempt is spent. */
export type PackageOutcome =
  | { status: 'downloaded'; bytes: number; attempts: number; seconds: number }
  | { status: 'failed'; code: string; reason: string; attempts: number; kind: AttemptKind };

/** Where a planned file comes from and goes to. */
export function packageTask(
  run: Pick<SyncRun, 'config' | 'channelPrefix'>,
  planned: PlannedPackage,
): PackageTask {
  const task: PackageTask = {
    channel: channelAt(run.config, planned.channelIndex),
    subdir: planned.subdir,
    filename: planned.filename,
    key: `${run.channelPrefix}${planned.subdir}/${planned.filename}`,
    size: planned.size,
  };
  if (planned.sha256 !== undefined) task.sha256 = planned.sha256;
  if (planned.md5 !== undefined) task.md5 = planned.md5;
  return task;
}

/** What a copy needs of the run: the store, the upstream client, the limits and a scratch folder. */
export function packageContext(run: SyncRun): PackageContext {
  return {
    store: run.store,
    http: run.http,
    logger: run.logger,
    tempDir: scratchDirOf(run),
    limits: downloadLimitsOf(run.config),
    ...(run.signal ? { signal: run.signal } : {}),
  };
}

/**
 * The package step: one attempt at copying one planned file, judged by the one retry policy
 * (judgeAttempt). Cancellation is thrown, never returned: the package neither failed nor succeeded.
 */
export async function packageStep(
  run: SyncRun,
  planned: PlannedPackage,
  options: PackageStepOptions,
): Promise<PackageStepResult> {
  const task = packageTask(run, planned);
  try {
    if (options.skipStored && (await storedCopyMatches(run, task))) return { status: 'present' };
    await copyPackage(task, packageContext(run));
    return { status: 'downloaded', bytes: task.size };
  } catch (error) {
    const verdict = judgeAttempt(error, task, options.history);
    if (verdict.kind === 'cancelled') throw verdict.error;
    return verdict.final ? { status: 'failed', verdict } : { status: 'retry', verdict };
  }
}

async function storedCopyMatches(run: SyncRun, task: PackageTask): Promise<boolean> {
  const existing = await run.store.head(task.key);
  return (
    existing !== null &&
    existing.size === task.size &&
    (task.sha256 === undefined || existing.sha256 === undefined || existing.sha256 === task.sha256)
  );
}

/**
 * The package step with its retries in process (the local mode): jittered exponential backoff,
 * Retry-After honoured, until it succeeds or the verdict is final. Failures are returned with their
 * reason; cancellation propagates.
 */
export async function mirrorPackage(run: SyncRun, planned: PlannedPackage): Promise<PackageOutcome> {
  const started = performance.now();
  const history: AttemptHistory = { attempt: 1, maxAttempts: run.config.retries + 1, integrityFailures: 0 };
  for (;;) {
    const result = await packageStep(run, planned, { history });
    if (result.status === 'downloaded' || result.status === 'present') {
      const bytes = result.status === 'downloaded' ? result.bytes : 0;
      return {
        status: 'downloaded',
        bytes,
        attempts: history.attempt,
        seconds: (performance.now() - started) / 1000,
      };
    }
    const { verdict } = result;
    if (result.status === 'failed') {
      return {
        status: 'failed',
        code: verdict.error.code,
        reason: verdict.error.message,
        attempts: history.attempt,
        kind: verdict.kind,
      };
    }
    const jittered = backoffDelayMs(history.attempt, defaultBackoff);
    const delayMs =
      verdict.error.retryAfterMs === undefined
        ? jittered
        : Math.min(defaultBackoff.maxRetryAfterMs, verdict.error.retryAfterMs);
    run.logger.debug(
      { filename: planned.filename, attempt: history.attempt, delayMs, err: verdict.error.message },
      'retrying package',
    );
    try {
      await sleep(delayMs, run.signal);
    } catch (error) {
      throw new MirrorError(MirrorErrorCode.Cancelled, `${planned.subdir}/${planned.filename}: cancelled`, {
        cause: error,
      });
    }
    history.attempt++;
    history.integrityFailures = verdict.integrityFailures;
  }
}
