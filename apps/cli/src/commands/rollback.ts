import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MirrorError, MirrorErrorCode, rollbackToGeneration } from '@condasync/mirror';
import type { CliEnv } from '../env.ts';
import { createCliLogger } from '../logging.ts';
import { readSyncConfigFile } from './config-file.ts';
import { openDestination } from './destination.ts';
import { ExitCode, UsageError } from './exit-codes.ts';
import { parseLogLevelFlag } from './log-level.ts';

export const rollbackUsage = `Usage: condasync rollback -f FILE --generation N

Publish metadata generation N of the sync config's channel again, as a new generation (see
condasync generations -f FILE). Refused, with nothing published, when a package or shard that
generation lists is no longer stored. The next sync publishes upstream's state again: stop
scheduled syncs of the channel to keep a rollback. Do not run it while a sync of the channel runs.

Options:
  -f, --file FILE          sync config file (required)
      --generation N       the generation to publish again (required)
  -l, --log-level LEVEL    trace, debug, info, warn, error; overrides log_level
  -h, --help               show this help

Exit codes: 0 published (or already published), 2 bad usage or no such generation, 3 the
rollback failed, 4 refused: the generation lists files no longer stored (nothing published).
`;

export async function rollbackCommand(
  argv: string[],
  env: CliEnv,
  out: NodeJS.WritableStream,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      file: { type: 'string', short: 'f' },
      generation: { type: 'string' },
      'log-level': { type: 'string', short: 'l' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    out.write(rollbackUsage);
    return ExitCode.Ok;
  }
  const config = await readSyncConfigFile(values.file, 'rollback');
  const generation = generationOf(values.generation);
  const level = values['log-level'] === undefined ? config.log_level : parseLogLevelFlag(values['log-level']);
  const logger = createCliLogger(level, env.logFormat);
  const { store, channelPrefix } = openDestination(config, env);
  try {
    const result = await rollbackToGeneration(
      { store, channelPrefix, logger },
      { generation, now: Date.now(), tempDir: join(env.workDir, 'tmp') },
    );
    out.write(
      result.changed
        ? `Published generation ${result.from} again as generation ${result.generation} (${result.subdirs.join(', ')}).\n`
        : `The channel already publishes generation ${result.from}'s metadata (generation ${result.generation}); nothing changed.\n`,
    );
    return ExitCode.Ok;
  } catch (error) {
    if (!(error instanceof MirrorError)) throw error;
    if (error.code === MirrorErrorCode.GenerationUnknown) {
      process.stderr.write(`error: ${error.message}\n`);
      return ExitCode.Usage;
    }
    if (error.code === MirrorErrorCode.GenerationIncomplete) {
      process.stderr.write(`error: ${error.message}\n`);
      return ExitCode.Refused;
    }
    throw error;
  } finally {
    await store.close();
  }
}

function generationOf(value: string | undefined): number {
  if (value === undefined) throw new UsageError('condasync rollback needs the generation: --generation N');
  if (!/^[1-9][0-9]{0,9}$/.test(value))
    throw new UsageError(`--generation must be a generation number (1, 2, …), got "${value}"`);
  return Number(value);
}
