import { parseArgs } from 'node:util';
import { UpstreamHttp, type VerifyReport, verifyStep } from '@condasync/mirror';
import type { CliEnv } from '../env.ts';
import { formatBytes } from '../format.ts';
import { createCliLogger } from '../logging.ts';
import { loadLocalConfig, readConfigText } from './config-file.ts';
import { openDestination } from './destination.ts';
import { ExitCode } from './exit-codes.ts';
import { parseLogLevelFlag } from './log-level.ts';

export const verifyUsage = `Usage: condasync verify -f FILE [--repair] [options]

Re-hash every package file of the config's destination (mirror_dir, or dest_channel in the storage
named by CONDASYNC_STORAGE_URL) against the published repodata.json of each subdir, and report the
files that are missing or hold other bytes (bit rot, a store edited by hand).

Options:
  -f, --file FILE          sync config file (required)
      --repair             fetch each bad or missing file again from the config's channels
                           (verified like any download); published metadata is left as it is
      --account, --dest-channel NAME
                           verify this destination channel instead of the config's dest_channel
      --json               print the report as JSON on stdout
  -l, --log-level LEVEL    trace, debug, info, warn, error; overrides log_level
  -h, --help               show this help

Exit codes: 0 every file matches (or, with --repair, every bad one was repaired), 1 problems remain,
2 bad usage or config, 3 the check itself failed (unreadable repodata, storage error).
`;

export async function verifyCommand(
  argv: string[],
  env: CliEnv,
  out: NodeJS.WritableStream,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      file: { type: 'string', short: 'f' },
      repair: { type: 'boolean' },
      account: { type: 'string' },
      'dest-channel': { type: 'string' },
      json: { type: 'boolean' },
      'log-level': { type: 'string', short: 'l' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    out.write(verifyUsage);
    return ExitCode.Ok;
  }
  const { path, text } = await readConfigText(values.file, 'verify');
  const config = await loadLocalConfig(path, text, values.account ?? values['dest-channel']);
  const level = values['log-level'] === undefined ? config.log_level : parseLogLevelFlag(values['log-level']);
  const logger = createCliLogger(level, env.logFormat, () => {});
  const { store, channelPrefix } = openDestination(config, env);
  const http = new UpstreamHttp({ connectionsPerHost: config.concurrency });
  try {
    const report = await verifyStep(
      { config, store, channelPrefix, http, workDir: env.workDir, logger },
      { repair: values.repair === true },
    );
    out.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderVerifyReport(report));
    return report.status === 'problems' ? ExitCode.Partial : ExitCode.Ok;
  } finally {
    await http.close();
    await store.close();
  }
}

/** The report a person reads: one line per bad file, then the totals. */
export function renderVerifyReport(report: VerifyReport): string {
  const lines = report.problems.map((p) => {
    const repair =
      p.repaired === undefined ? '' : p.repaired ? ' (repaired)' : ` (not repaired: ${p.repairError})`;
    return `${p.status === 'missing' ? 'missing ' : 'mismatch'} ${p.subdir}/${p.filename}: ${p.reason}${repair}`;
  });
  const unpublished = report.subdirs.filter((s) => !s.published).map((s) => s.subdir);
  if (unpublished.length > 0)
    lines.push(`No published repodata.json (not checked): ${unpublished.join(', ')}`);
  lines.push(
    `Verified ${report.checked} file(s), ${formatBytes(report.bytesChecked)} intact: ` +
      `${report.missing} missing, ${report.mismatched} mismatched, ${report.repaired} repaired ` +
      `(${report.seconds.toFixed(1)} s).`,
  );
  return `${lines.join('\n')}\n`;
}
