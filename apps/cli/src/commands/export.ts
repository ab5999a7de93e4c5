import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { bundleChunks, fullBundleManifest, MirrorError, type SyncConfig } from '@condasync/mirror';
import { type ObjectStore, StorageError } from '@condasync/storage';
import type { CliEnv } from '../env.ts';
import { readSyncConfigFile } from './config-file.ts';
import { openDestination } from './destination.ts';
import { ExitCode, UsageError } from './exit-codes.ts';

export const exportUsage = `Usage: condasync export -f FILE OUT.tar

Write the channel a sync config mirrors (its mirror_dir, or dest_channel in CONDASYNC_STORAGE_URL)
as one self-contained bundle: every subdir's published metadata, shards, channeldata.json and
packages, after a manifest (condasync-bundle.json, the first member) with the size and sha256 of
every member. Carry it to an air-gapped site and run condasync import there. The bundle streams
from the store: no temporary copy, any size. OUT.tar appears only when complete; "-" writes to
stdout (e.g. piped into ssh or condasync import -).

Options:
  -f, --file FILE      sync config naming the channel (required)
  -h, --help           show this help

Exit codes: 0 written, 2 bad usage or config, 3 failed (nothing left at OUT.tar).
`;

export async function exportCommand(
  argv: string[],
  env: CliEnv,
  out: NodeJS.WritableStream,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { file: { type: 'string', short: 'f' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    out.write(exportUsage);
    return ExitCode.Ok;
  }
  if (positionals.length !== 1)
    throw new UsageError(`condasync export needs exactly one OUT.tar\n\n${exportUsage}`);
  const config = await readSyncConfigFile(values.file, 'export');
  const { store, channelPrefix } = openDestination(config, env);
  try {
    return await writeBundle(store, channelPrefix, config, positionals[0]!, out);
  } catch (error) {
    // main's report of a failed sync would claim repodata was left alone; here nothing was published.
    if (!(error instanceof MirrorError || error instanceof StorageError)) throw error;
    process.stderr.write(`error: ${error.message}\nNo bundle was written.\n`);
    return ExitCode.Failed;
  } finally {
    await store.close();
  }
}

async function writeBundle(
  store: ObjectStore,
  channelPrefix: string,
  config: SyncConfig,
  target: string,
  out: NodeJS.WritableStream,
): Promise<number> {
  const manifest = await fullBundleManifest(store, channelPrefix, config.mirror_dir ?? config.dest_channel);
  const chunks = Readable.from(bundleChunks(store, channelPrefix, manifest));
  const bytes = manifest.members.reduce((n, m) => n + m.size, 0);
  if (target === '-') {
    await pipeline(chunks, out, { end: false });
    process.stderr.write(`exported ${manifest.members.length} file(s), ${bytes} bytes\n`);
    return ExitCode.Ok;
  }
  const path = resolve(target);
  const partial = `${path}.partial`;
  try {
    await pipeline(chunks, createWriteStream(partial));
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  out.write(`exported ${manifest.members.length} file(s), ${bytes} bytes, to ${path}\n`);
  return ExitCode.Ok;
}
