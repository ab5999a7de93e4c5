import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { importFolder } from '@condasync/mirror';
import { FsObjectStore, type ObjectStore, openConfiguredStore } from '@condasync/storage';
import type { CliEnv } from '../env.ts';
import { createCliLogger } from '../logging.ts';
import { ExitCode, UsageError } from './exit-codes.ts';
import { parseLogLevelFlag } from './log-level.ts';

export const importUsage = `Usage: condasync import SOURCE_DIR (--mirror-dir DIR | --channel NAME) [options]

Publish a folder of packages (<SOURCE_DIR>/<subdir>/*.conda|*.tar.bz2) into a mirror. Records come
from the folder's repodata.json when it has one, otherwise from each archive's info/index.json (as
conda-index builds them); <subdir>/patch_instructions.json is applied when present. Imported
records are merged into what the destination already publishes.

Options:
      --mirror-dir DIR     write into this folder (as sync's mirror_dir)
      --channel NAME       write into the storage of CONDASYNC_STORAGE_URL under NAME/
      --zstd-level N       compression level of repodata.json.zst (default 3)
      --json               print the result as JSON
  -l, --log-level LEVEL    trace, debug, info, warn, error (also CRITICAL/WARNING and 10-50)
  -h, --help               show this help
`;

export async function importCommand(
  argv: string[],
  env: CliEnv,
  out: NodeJS.WritableStream,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'mirror-dir': { type: 'string' },
      channel: { type: 'string' },
      'zstd-level': { type: 'string' },
      json: { type: 'boolean' },
      'log-level': { type: 'string', short: 'l' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.write(importUsage);
    return ExitCode.Ok;
  }
  if (positionals.length !== 1)
    throw new UsageError(`condasync import needs exactly one SOURCE_DIR\n\n${importUsage}`);
  const zstdLevel = Number(values['zstd-level'] ?? 3);
  if (!Number.isInteger(zstdLevel) || zstdLevel < 1 || zstdLevel > 22)
    throw new UsageError('--zstd-level must be an integer from 1 to 22');
  let store: ObjectStore;
  let channelPrefix: string;
  if (values['mirror-dir'] !== undefined && values.channel === undefined) {
    store = new FsObjectStore({ root: resolve(values['mirror-dir']) });
    channelPrefix = '';
  } else if (values.channel !== undefined && values['mirror-dir'] === undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(values.channel))
      throw new UsageError(`--channel '${values.channel}' is not a channel name`);
    if (env.store === null)
      throw new UsageError('--channel writes into CONDASYNC_STORAGE_URL, which is not set');
    store = openConfiguredStore(env.store);
    channelPrefix = `${values.channel}/`;
  } else {
    throw new UsageError(`give exactly one of --mirror-dir or --channel\n\n${importUsage}`);
  }
  const level = values['log-level'] === undefined ? 'info' : parseLogLevelFlag(values['log-level']);
  const logger = createCliLogger(level, env.logFormat);
  try {
    const results = await importFolder({
      sourceDir: resolve(positionals[0]!),
      store,
      channelPrefix,
      tempDir: resolve(env.workDir, 'tmp'),
      logger,
      zstdLevel,
    });
    if (values.json) {
      out.write(`${JSON.stringify(results, null, 2)}\n`);
    } else {
      for (const r of results) {
        out.write(
          `${r.subdir}: ${r.imported} package(s) imported (records from ${r.recordsFrom}${r.patched ? ', patched' : ''}), ${r.published} published\n`,
        );
        for (const x of r.rejected) out.write(`  not imported: ${x.filename}: ${x.reason}\n`);
      }
    }
    return results.some((r) => r.rejected.length > 0) ? ExitCode.Partial : ExitCode.Ok;
  } finally {
    await store.close();
  }
}
