import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { expandEnvironmentFiles, parseSyncConfig, type SyncConfig } from '@condasync/mirror';
import { UsageError } from './exit-codes.ts';

/** The text of a sync config file, or a UsageError naming the file. */
export async function readConfigText(
  file: string | undefined,
  command: string,
): Promise<{ path: string; text: string }> {
  if (file === undefined) throw new UsageError(`condasync ${command} needs a config file: -f FILE`);
  const path = resolve(file);
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new UsageError(`cannot read the sync config ${path}: ${(error as Error).message}`);
  });
  return { path, text };
}

/**
 * Parses a config for a run on this machine: environment files are read next to the config (so
 * the engine never reads user paths), and `--account` / `--dest-channel` overrides `dest_channel`
 * (as anaconda-server-sync-conda's `--account` did), checked like the key itself.
 */
export async function loadLocalConfig(
  path: string,
  text: string,
  account: string | undefined,
): Promise<SyncConfig> {
  const config = await expandEnvironmentFiles(parseSyncConfig(text, { sourceName: path }), (file) =>
    readFile(resolve(dirname(path), file), 'utf8'),
  );
  if (account === undefined) return config;
  // Re-validated through the config schema, so a bad name gets the key's own error message.
  parseSyncConfig(JSON.stringify({ dest_channel: account }), { sourceName: '--account' });
  return Object.freeze({ ...config, dest_channel: account });
}

/** The sync config at `file`, for commands that only need where its channel lives (export, import). */
export async function readSyncConfigFile(file: string | undefined, command: string): Promise<SyncConfig> {
  const { path, text } = await readConfigText(file, command);
  return loadLocalConfig(path, text, undefined);
}
