import { parseArgs } from 'node:util';
import { readGenerationIndex, retainedGenerations } from '@condasync/mirror';
import type { CliEnv } from '../env.ts';
import { readSyncConfigFile } from './config-file.ts';
import { openDestination } from './destination.ts';
import { ExitCode } from './exit-codes.ts';

export const generationsUsage = `Usage: condasync generations -f FILE [--json]

List the metadata generations of the sync config's channel that can still be served and rolled
back to: each sync that changed the channel's metadata (and each rollback) published one. Older
generations stay for grace_period_hours after they were replaced, as the package files they list
do. \`condasync serve\` and the API serve generation N at /conda/<channel>@N/.

Options:
  -f, --file FILE   sync config file (required)
      --json        print the list as JSON on stdout
  -h, --help        show this help
`;

export async function generationsCommand(
  argv: string[],
  env: CliEnv,
  out: NodeJS.WritableStream,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      file: { type: 'string', short: 'f' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    out.write(generationsUsage);
    return ExitCode.Ok;
  }
  const config = await readSyncConfigFile(values.file, 'generations');
  const { store, channelPrefix } = openDestination(config, env);
  try {
    const generations = retainedGenerations(await readGenerationIndex({ store, channelPrefix }), Date.now());
    if (values.json) {
      out.write(`${JSON.stringify(generations, null, 2)}\n`);
      return ExitCode.Ok;
    }
    if (generations.length === 0) {
      out.write('No metadata generation yet: the channel has not been synced since generations exist.\n');
      return ExitCode.Ok;
    }
    for (const g of generations) {
      const state = g.current ? 'current' : `retained until ${g.retainedUntil}`;
      out.write(`${g.n}\t${g.time}\t${g.source}\t${g.subdirs.join(',')}\t${state}\n`);
    }
    return ExitCode.Ok;
  } finally {
    await store.close();
  }
}
