import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseSyncConfig, type SyncConfig } from '@condasync/mirror';
import { UsageError } from './exit-codes.ts';

/** The sync config at `file` (export and import only need where its channel lives). */
export async function readSyncConfigFile(file: string | undefined, command: string): Promise<SyncConfig> {
  if (file === undefined) throw new UsageError(`condasync ${command} needs a sync config: -f FILE`);
  const path = resolve(file);
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new UsageError(`cannot read the sync config ${path}: ${(error as Error).message}`);
  });
  return parseSyncConfig(text, { sourceName: path });
}
