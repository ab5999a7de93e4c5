import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type CleanFile,
  type CleanReport,
  cleanStep,
  expandEnvironmentFiles,
  MirrorError,
  MirrorErrorCode,
  parseSyncConfig,
  UpstreamHttp,
} from '@condasync/mirror';
import type { CliEnv } from '../env.ts';
import { formatBytes } from '../format.ts';
import { createCliLogger } from '../logging.ts';
import { openDestination } from './destination.ts';
import { ExitCode, UsageError } from './exit-codes.ts';
import { parseLogLevelFlag } from './log-level.ts';

export const cleanUsage = `Usage: condasync clean -f FILE [options]

Delete at once what the mirror of a sync config holds and the config no longer selects (or
upstream removed): package files, and shard files the published shard index no longer references.
A sync deletes them only after grace_period_hours; clean frees the space now, for example after
narrowing a filter. A file that published repodata still lists is never deleted: run the sync
first, so its metadata drops them, then clean. Selected files not published yet are kept.

Options:
  -f, --file FILE          sync config file (required)
      --dry-run            list what would be deleted, with sizes and a total; delete nothing
      --json               print the report as JSON on stdout
  -l, --log-level LEVEL    trace, debug, info, warn, error; overrides log_level
  -h, --help               show this help

Exit codes: 0 success, 2 bad usage or config, 3 the clean failed (files not yet listed as
deleted may remain).
`;

export async function cleanCommand(argv: string[], env: CliEnv, out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      file: { type: 'string', short: 'f' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      'log-level': { type: 'string', short: 'l' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    out.write(cleanUsage);
    return ExitCode.Ok;
  }
  if (values.file === undefined) throw new UsageError('condasync clean needs a config file: -f FILE');
  const path = resolve(values.file);
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new UsageError(`cannot read the sync config ${path}: ${(error as Error).message}`);
  });
  const config = await expandEnvironmentFiles(parseSyncConfig(text, { sourceName: path }), (file) =>
    readFile(resolve(dirname(path), file), 'utf8'),
  );
  const level = values['log-level'] === undefined ? config.log_level : parseLogLevelFlag(values['log-level']);
  const logger = createCliLogger(level, env.logFormat);
  const { store, channelPrefix } = openDestination(config, env);
  const http = new UpstreamHttp({ connectionsPerHost: config.concurrency });
  const cancel = new AbortController();
  const onSignal = (): void => cancel.abort(new MirrorError(MirrorErrorCode.Cancelled, 'interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const report = await cleanStep(
      { config, store, channelPrefix, http, workDir: env.workDir, logger, signal: cancel.signal },
      { dryRun: values['dry-run'] === true },
    );
    out.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderCleanReport(report));
    return ExitCode.Ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await http.close();
    await store.close();
  }
}

/** The clean report a person reads on stdout. */
export function renderCleanReport(report: CleanReport): string {
  const line = (file: CleanFile) => `  ${file.subdir}/${file.filename} (${formatBytes(file.size)})`;
  const lines = [
    report.dryRun
      ? `Dry run: would delete ${report.files.length} file(s), ${formatBytes(report.bytes)}; nothing was deleted.`
      : `Deleted ${report.files.length} file(s), ${formatBytes(report.bytes)}.`,
    ...report.files.map(line),
  ];
  if (report.files.length > 0) lines.push(`Total: ${report.files.length} file(s), ${report.bytes} bytes.`);
  if (report.keptListed.length > 0) {
    lines.push(
      `Kept ${report.keptListed.length} file(s) the config drops that published repodata still lists; run the sync, then clean again:`,
      ...report.keptListed.map(line),
    );
  }
  if (report.keptUnpublished > 0)
    lines.push(
      `Kept ${report.keptUnpublished} selected file(s) not published yet (the next sync publishes them).`,
    );
  return `${lines.join('\n')}\n`;
}
