import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  MirrorError,
  MirrorErrorCode,
  renderSyncConfig,
  runLocalSync,
  type SyncConfig,
} from '@condasync/mirror';
import type { CliEnv } from '../env.ts';
import { createCliLogger, type LogLevel } from '../logging.ts';
import { ProgressReporter } from '../progress.ts';
import { renderSummary } from '../summary.ts';
import { loadLocalConfig, readConfigText } from './config-file.ts';
import { openDestination } from './destination.ts';
import { ExitCode, UsageError } from './exit-codes.ts';
import { parseLogLevelFlag } from './log-level.ts';
import { remoteSync } from './remote-sync.ts';

/** The file in a config's `log_dir` that sync runs append their log to. */
export const LOG_FILE_NAME = 'condasync.log';

export const syncUsage = `Usage: condasync sync -f FILE [options]

Mirror the channels described by a sync config (YAML or JSON) into mirror_dir, or into the
storage named by CONDASYNC_STORAGE_URL under dest_channel.

Options:
  -f, --file FILE          sync config file (required)
      --config, --show-config
                           print the effective config with defaults and exit
      --dry-run            print what would be added and removed, with sizes; change nothing
      --reset              forget cached upstream state (repodata ETags, remembered failures, the
                           last publication's inputs) and re-check every stored file by its sha256;
                           only files whose bytes differ are downloaded again
      --account, --dest-channel NAME
                           write into this destination channel instead of the config's dest_channel
      --json               print the final report as JSON on stdout
      --server URL         submit the sync to a condasync API (CONDASYNC_API_TOKEN is sent as the
                           bearer token) and follow its progress instead of running it here
  -l, --log-level LEVEL    trace, debug, info, warn, error (also CRITICAL/WARNING and 10-50); overrides log_level
  -v, --verbose            shorthand for --log-level debug
  -h, --help               show this help

Exit codes: 0 success, 1 some packages failed (the rest is published), 2 bad usage or config,
3 the sync failed and published nothing new.
`;

export async function syncCommand(argv: string[], env: CliEnv, out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      file: { type: 'string', short: 'f' },
      config: { type: 'boolean' },
      'show-config': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      reset: { type: 'boolean' },
      account: { type: 'string' },
      'dest-channel': { type: 'string' },
      json: { type: 'boolean' },
      server: { type: 'string' },
      'log-level': { type: 'string', short: 'l' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    out.write(syncUsage);
    return ExitCode.Ok;
  }
  if (values.account !== undefined && values['dest-channel'] !== undefined) {
    throw new UsageError('give the destination channel once: --account or --dest-channel, not both');
  }
  const account = values.account ?? values['dest-channel'];
  const { path, text } = await readConfigText(values.file, 'sync');
  if (values.server !== undefined) {
    if (account !== undefined) {
      throw new UsageError(
        '--account applies to runs on this machine; with --server set dest_channel in the config you submit',
      );
    }
    return remoteSync({
      server: values.server,
      configText: text,
      token: env.apiToken,
      json: values.json === true,
      reset: values.reset === true,
      out,
    });
  }
  const config = await loadLocalConfig(path, text, account);
  if (values.config || values['show-config']) {
    out.write(renderSyncConfig(config, { path }));
    return ExitCode.Ok;
  }
  const level = pickLevel(values['log-level'], values.verbose === true, config);
  const progress = new ProgressReporter({ stream: process.stderr, logger: () => logger });
  const logFile = config.log_dir === null ? undefined : join(resolve(config.log_dir), LOG_FILE_NAME);
  const logger = createCliLogger(level, env.logFormat, () => progress.clear(), logFile);
  const { store, channelPrefix } = openDestination(config, env);
  const cancel = new AbortController();
  const onSignal = (): void => cancel.abort(new MirrorError(MirrorErrorCode.Cancelled, 'interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    logger.info(
      { destination: store.description, channels: config.channels.length, platforms: config.platforms },
      'sync starting',
    );
    const report = await runLocalSync({
      config,
      store,
      channelPrefix,
      workDir: env.workDir,
      logger,
      dryRun: values['dry-run'] === true,
      reset: values.reset === true,
      signal: cancel.signal,
      onProgress: (p) => progress.update(p),
    });
    progress.stop();
    logger.info({ status: report.status }, 'sync ended');
    out.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderSummary(report));
    return report.status === 'partial' ? ExitCode.Partial : ExitCode.Ok;
  } catch (error) {
    // The log file must tell how the run ended; main() prints the error for the terminal.
    if (logFile !== undefined) logger.error({ err: (error as Error).message }, 'sync failed');
    throw error;
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store.close();
  }
}

function pickLevel(flag: string | undefined, verbose: boolean, config: SyncConfig): LogLevel {
  if (verbose) return 'debug';
  return flag === undefined ? config.log_level : parseLogLevelFlag(flag);
}
