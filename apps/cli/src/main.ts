import { EnvError, EnvErrorCode } from '@condasync/env';
import { MirrorError, MirrorErrorCode } from '@condasync/mirror';
import { StorageError } from '@condasync/storage';
import packageJson from '../package.json' with { type: 'json' };
import { cleanCommand } from './commands/clean.ts';
import { ExitCode, UsageError } from './commands/exit-codes.ts';
import { exportCommand } from './commands/export.ts';
import { generationsCommand } from './commands/generations.ts';
import { importCommand } from './commands/import.ts';
import { apiCommand, workerCommand } from './commands/roles.ts';
import { rollbackCommand } from './commands/rollback.ts';
import { serveCommand } from './commands/serve.ts';
import { syncCommand, syncUsage } from './commands/sync.ts';
import { verifyCommand } from './commands/verify.ts';
import { readCliEnv } from './env.ts';

const usage = `condasync ${packageJson.version}: mirror conda channels into a folder or S3-compatible storage.

Usage: condasync <command> [options]

Commands:
  sync -f FILE     mirror the channels of a sync config (see condasync sync --help)
  clean -f FILE    delete what the config no longer selects, now (see condasync clean --help)
  export -f FILE OUT.tar
                   write the channel as a verified air-gap bundle (see condasync export --help)
  import SOURCE    publish a bundle (.tar, -, folder) or a folder of packages (see condasync import --help)
  verify -f FILE   re-hash the stored packages against the published repodata; --repair refetches
  generations -f FILE
                   list the channel's metadata generations (see condasync generations --help)
  rollback -f FILE --generation N
                   publish an older metadata generation again (see condasync rollback --help)
  serve -f FILE    serve a mirror folder as a conda channel (see condasync serve --help)
  api              run the REST API and channel server (distributed mode)
  worker           run a worker: plan, package and finalize jobs (distributed mode)

Options:
  --version        print the version and exit
  -h, --help       show this help
`;

/** Runs the CLI with the given arguments; returns the exit code. Errors are printed, never thrown. */
export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === '--version' || command === '-V') {
      out.write(`${packageJson.version}\n`);
      return ExitCode.Ok;
    }
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      out.write(usage);
      return command === undefined ? ExitCode.Usage : ExitCode.Ok;
    }
    if (command === 'sync') return await syncCommand(rest, readCliEnv(), out);
    if (command === 'clean') return await cleanCommand(rest, readCliEnv(), out);
    if (command === 'export') return await exportCommand(rest, readCliEnv(), out);
    if (command === 'import') return await importCommand(rest, readCliEnv(), out);
    if (command === 'verify') return await verifyCommand(rest, readCliEnv(), out);
    if (command === 'generations') return await generationsCommand(rest, readCliEnv(), out);
    if (command === 'rollback') return await rollbackCommand(rest, readCliEnv(), out);
    if (command === 'serve') return await serveCommand(rest, readCliEnv(), out);
    if (command === 'worker') return await workerCommand();
    if (command === 'api') return await apiCommand();
    throw new UsageError(`unknown command "${command}"\n\n${usage}`);
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (
    error instanceof UsageError ||
    (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
  ) {
    process.stderr.write(`error: ${error.message}\n${error instanceof UsageError ? '' : `\n${syncUsage}`}`);
    return ExitCode.Usage;
  }
  if (error instanceof MirrorError && error.code === MirrorErrorCode.ConfigInvalid) {
    process.stderr.write(`error: ${error.message}\n`);
    for (const problem of error.details)
      process.stderr.write(`  ${problem.path || '(file)'}: ${problem.message}\n`);
    return ExitCode.Usage;
  }
  if (error instanceof EnvError) {
    // Every role's environment problems at once, each under its variable; no stack trace.
    if (error.code === EnvErrorCode.Invalid) {
      process.stderr.write('error: invalid environment:\n');
      for (const p of error.problems) process.stderr.write(`  ${p.variable}: ${p.message}\n`);
    } else {
      for (const p of error.problems)
        process.stderr.write(`error: cannot listen: ${p.variable}: ${p.message}\n`);
    }
    return ExitCode.Usage;
  }
  if (error instanceof MirrorError || error instanceof StorageError) {
    process.stderr.write(
      `error: ${error.message}\nThe sync failed; the previously published repodata is unchanged.\n`,
    );
    return ExitCode.Failed;
  }
  process.stderr.write(
    `error: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return ExitCode.Failed;
}
