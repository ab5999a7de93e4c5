import { parseRepodata } from '@condasync/conda';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import { mirrorPackage } from './package-step.ts';
import { runPool } from './run-pool.ts';
import type { SyncRun } from './sync-run.ts';
import { checkStoredFile, type ExpectedBytes } from './verify-stored.ts';

/** A stored file that does not match what the published repodata.json lists. */
export interface VerifyProblem {
  subdir: string;
  filename: string;
  status: 'missing' | 'mismatch';
  reason: string;
  /** Only with `repair`: fetched again from upstream and verified. */
  repaired?: boolean;
  /** Only with `repair`, when no upstream channel delivered the listed bytes. */
  repairError?: string;
}

export interface VerifySubdirReport {
  subdir: string;
  /** False when the destination has no repodata.json for this subdir (nothing to check). */
  published: boolean;
  checked: number;
  problems: number;
}

export interface VerifyReport {
  /** `clean`: nothing wrong; `repaired`: problems found and every one fixed; `problems`: some remain. */
  status: 'clean' | 'repaired' | 'problems';
  checked: number;
  bytesChecked: number;
  missing: number;
  mismatched: number;
  repaired: number;
  problems: VerifyProblem[];
  subdirs: VerifySubdirReport[];
  seconds: number;
}

export interface VerifyOptions {
  /** Fetch every bad or missing file again from the upstream channels (package step, verified). */
  repair?: boolean;
}

/**
 * The verify step: re-hashes every package file that the destination's published repodata.json
 * files list (one per subdir of the config), and reports those missing or with other bytes (bit
 * rot, a store edited by hand). With `repair`, each is fetched again through the package step,
 * trying the config's channels in order; published metadata is never touched.
 */
export async function verifyStep(run: SyncRun, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = Date.now();
  const report: VerifyReport = {
    status: 'clean',
    checked: 0,
    bytesChecked: 0,
    missing: 0,
    mismatched: 0,
    repaired: 0,
    problems: [],
    subdirs: [],
    seconds: 0,
  };
  for (const subdir of run.config.platforms) {
    const listed = await publishedRecords(run, subdir);
    const summary: VerifySubdirReport = { subdir, published: listed !== null, checked: 0, problems: 0 };
    report.subdirs.push(summary);
    if (listed === null) continue;
    await runPool([...listed], run.config.concurrency, async ([filename, expected]) => {
      const check = await checkStoredFile(
        run.store,
        `${run.channelPrefix}${subdir}/${filename}`,
        expected,
        run.signal,
      );
      summary.checked++;
      report.checked++;
      if (check.status === 'ok') {
        report.bytesChecked += expected.size;
        return;
      }
      summary.problems++;
      const problem: VerifyProblem =
        check.status === 'missing'
          ? { subdir, filename, status: 'missing', reason: 'not in storage' }
          : { subdir, filename, status: 'mismatch', reason: check.reason };
      if (check.status === 'missing') report.missing++;
      else report.mismatched++;
      run.logger.warn(
        { subdir, filename, problem: problem.status, reason: problem.reason },
        'stored file is bad',
      );
      if (options.repair) await repair(run, problem, expected);
      if (problem.repaired) report.repaired++;
      report.problems.push(problem);
    });
  }
  report.problems.sort((a, b) =>
    a.subdir === b.subdir ? (a.filename < b.filename ? -1 : 1) : a.subdir < b.subdir ? -1 : 1,
  );
  if (report.problems.length > 0) {
    report.status = report.repaired === report.problems.length ? 'repaired' : 'problems';
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

/** The files a subdir's published repodata.json lists, or null when it has none. */
async function publishedRecords(run: SyncRun, subdir: string): Promise<Map<string, ExpectedBytes> | null> {
  const key = `${run.channelPrefix}${subdir}/repodata.json`;
  const published = await run.store.get(key);
  if (published === null) return null;
  const listed = new Map<string, ExpectedBytes>();
  try {
    for await (const { filename, record } of parseRepodata(published.body, { subdir })) {
      listed.set(filename, { size: record.size, sha256: record.sha256, md5: record.md5 });
    }
  } catch (error) {
    published.body.destroy();
    throw new MirrorError(
      MirrorErrorCode.RepodataInvalid,
      `${key}: the published repodata.json cannot be read: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return listed;
}

/**
 * Published records do not say which upstream channel a file came from, so the channels are
 * tried in the config's order (the order that decided collisions); the first whose bytes verify wins.
 */
async function repair(run: SyncRun, problem: VerifyProblem, expected: ExpectedBytes): Promise<void> {
  const reasons: string[] = [];
  for (let channelIndex = 0; channelIndex < run.config.channels.length; channelIndex++) {
    const outcome = await mirrorPackage(run, {
      subdir: problem.subdir,
      filename: problem.filename,
      channelIndex,
      size: expected.size,
      sha256: expected.sha256,
      md5: expected.md5,
    });
    if (outcome.status === 'downloaded') {
      problem.repaired = true;
      run.logger.info({ subdir: problem.subdir, filename: problem.filename }, 'stored file repaired');
      return;
    }
    reasons.push(outcome.reason);
  }
  problem.repaired = false;
  problem.repairError = reasons.join('; ') || 'the config names no channel';
}
