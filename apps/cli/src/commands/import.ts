import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BUNDLE_MANIFEST,
  type BundleEntry,
  type BundleImportOptions,
  folderBundleEntries,
  importBundle,
  importFolder,
  MirrorError,
  MirrorErrorCode,
  tarBundleEntries,
} from '@condasync/mirror';
import { FsObjectStore, type ObjectStore, openConfiguredStore } from '@condasync/storage';
import type { CliEnv } from '../env.ts';
import { createCliLogger } from '../logging.ts';
import { readSyncConfigFile } from './config-file.ts';
import { openDestination } from './destination.ts';
import { ExitCode, UsageError } from './exit-codes.ts';
import { parseLogLevelFlag } from './log-level.ts';

export const importUsage = `Usage: condasync import SOURCE (-f DEST.yaml | --mirror-dir DIR | --channel NAME) [options]

SOURCE is a bundle written by condasync export or by a sync with delta: true (a .tar file, "-" for
stdin, or the bundle unpacked into a folder), or a plain folder of packages.

A bundle is verified before anything is published: every member against the manifest (size and
sha256) and every repodata record against the file it lists. Packages go in first, metadata last.
A bundle that fails publishes nothing and each bad member is named (exit code 4); so is a delta
whose base is not what the destination publishes (import the deltas in order, or a full bundle).

A plain folder of packages (<SOURCE_DIR>/<subdir>/*.conda|*.tar.bz2) into a mirror. Records come
from the folder's repodata.json when it has one, otherwise from each archive's info/index.json (as
conda-index builds them); <subdir>/patch_instructions.json is applied when present. Imported
records are merged into what the destination already publishes.

Options:
  -f, --file FILE          write where this sync config's channel lives (mirror_dir, or dest_channel
                           in CONDASYNC_STORAGE_URL)
      --mirror-dir DIR     write into this folder (as sync's mirror_dir)
      --channel NAME       write into the storage of CONDASYNC_STORAGE_URL under NAME/
      --zstd-level N       compression level of repodata.json.zst (default 3)
      --json               print the result as JSON
  -l, --log-level LEVEL    trace, debug, info, warn, error (also CRITICAL/WARNING and 10-50)
  -h, --help               show this help

Exit codes: 0 imported, 1 some files of a plain folder were left out, 2 bad usage, 3 failed,
4 the bundle was refused (nothing published).
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
      file: { type: 'string', short: 'f' },
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
    throw new UsageError(`condasync import needs exactly one SOURCE\n\n${importUsage}`);
  const zstdLevel = Number(values['zstd-level'] ?? 3);
  if (!Number.isInteger(zstdLevel) || zstdLevel < 1 || zstdLevel > 22)
    throw new UsageError('--zstd-level must be an integer from 1 to 22');
  let store: ObjectStore;
  let channelPrefix: string;
  const destinations = [values.file, values['mirror-dir'], values.channel].filter((v) => v !== undefined);
  if (destinations.length !== 1)
    throw new UsageError(`give exactly one of -f, --mirror-dir or --channel\n\n${importUsage}`);
  if (values.file !== undefined) {
    ({ store, channelPrefix } = openDestination(await readSyncConfigFile(values.file, 'import'), env));
  } else if (values['mirror-dir'] !== undefined) {
    store = new FsObjectStore({ root: resolve(values['mirror-dir']) });
    channelPrefix = '';
  } else {
    const channel = values.channel ?? '';
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(channel))
      throw new UsageError(`--channel '${values.channel}' is not a channel name`);
    if (env.store === null)
      throw new UsageError('--channel writes into CONDASYNC_STORAGE_URL, which is not set');
    store = openConfiguredStore(env.store);
    channelPrefix = `${channel}/`;
  }
  const level = values['log-level'] === undefined ? 'info' : parseLogLevelFlag(values['log-level']);
  const logger = createCliLogger(level, env.logFormat);
  try {
    const source = positionals[0]!;
    const bundle = await bundleEntriesOf(source);
    if (bundle !== null)
      return await importBundleInto(bundle, { store, channelPrefix, logger }, values.json === true, out);
    const results = await importFolder({
      sourceDir: resolve(source),
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

/** The members of SOURCE when it is a bundle (a tar, stdin, or an unpacked bundle); null for a plain folder. */
async function bundleEntriesOf(source: string): Promise<AsyncIterable<BundleEntry> | null> {
  if (source === '-') return tarBundleEntries(process.stdin);
  const path = resolve(source);
  const info = await stat(path).catch(() => {
    throw new UsageError(`cannot read ${path}: no such file or folder`);
  });
  if (info.isFile()) return tarBundleEntries(createReadStream(path));
  const unpacked = await stat(join(path, BUNDLE_MANIFEST)).then(
    () => true,
    () => false,
  );
  return unpacked ? folderBundleEntries(path) : null;
}

async function importBundleInto(
  entries: AsyncIterable<BundleEntry>,
  options: BundleImportOptions,
  json: boolean,
  out: NodeJS.WritableStream,
): Promise<number> {
  try {
    const result = await importBundle(entries, options);
    out.write(
      json
        ? `${JSON.stringify(result, null, 2)}\n`
        : `imported a ${result.kind} bundle of ${result.source.channel}: ${result.members} file(s), ${result.stored} newly stored, ${result.published.length} metadata file(s) published, ${result.deleted} deleted\n`,
    );
    return ExitCode.Ok;
  } catch (error) {
    if (
      error instanceof MirrorError &&
      (error.code === MirrorErrorCode.BundleInvalid || error.code === MirrorErrorCode.BundleBaseMismatch)
    ) {
      process.stderr.write(`error: ${error.message}\n`);
      return ExitCode.Refused;
    }
    throw error;
  }
}
