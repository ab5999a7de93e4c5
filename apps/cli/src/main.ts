import packageJson from '../package.json' with { type: 'json' };
import { ExitCode, UsageError } from './commands/exit-codes.ts';
import type { CliEnv } from './env.ts';

type Command = (argv: string[], out: NodeJS.WritableStream) => Promise<number>;
type EnvCommand = (argv: string[], env: CliEnv, out: NodeJS.WritableStream) => Promise<number>;

/** A command that reads the CLI's environment (the roles read their own). */
const withEnv = (load: () => Promise<EnvCommand>) => async (): Promise<Command> => {
  const [run, { readCliEnv }] = await Promise.all([load(), import('./env.ts')]);
  return (argv, out) => run(argv, readCliEnv(), out);
};

// Each command is imported when it runs: `--version` loads nothing, a folder sync no S3 SDK, queue
// or HTTP server (start-up is part of every no-op re-run: docs/design.md §9).
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  sync: withEnv(async () => (await import('./commands/sync.ts')).syncCommand),
  clean: withEnv(async () => (await import('./commands/clean.ts')).cleanCommand),
  export: withEnv(async () => (await import('./commands/export.ts')).exportCommand),
  import: withEnv(async () => (await import('./commands/import.ts')).importCommand),
  verify: withEnv(async () => (await import('./commands/verify.ts')).verifyCommand),
  generations: withEnv(async () => (await import('./commands/generations.ts')).generationsCommand),
  rollback: withEnv(async () => (await import('./commands/rollback.ts')).rollbackCommand),
  serve: withEnv(async () => (await import('./commands/serve.ts')).serveCommand),
  worker: async () => (await import('./commands/roles.ts')).workerCommand,
  api: async () => (await import('./commands/roles.ts')).apiCommand,
};

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
    const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (load !== undefined) {
      const run = await load();
      return await run(rest, out);
    }
    throw new UsageError(`unknown command "${command}"\n\n${usage}`);
  } catch (error) {
    return await reportError(error);
  }
}

async function reportError(error: unknown): Promise<number> {
  // Loaded only on the way out: a run that ends well never imports the libraries' error classes.
  const [{ EnvError, EnvErrorCode }, { MirrorError, MirrorErrorCode }, { StorageError }, { syncUsage }] =
    await Promise.all([
      import('@condasync/env'),
      import('@condasync/mirror'),
      import('@condasync/storage'),
      import('./commands/sync.ts'),
    ]);
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
