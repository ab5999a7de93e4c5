import { resolve } from 'node:path';
import type { SyncConfig } from '@condasync/mirror';
import { FsObjectStore, type ObjectStore, openConfiguredStore } from '@condasync/storage';
import type { CliEnv } from '../env.ts';
import { UsageError } from './exit-codes.ts';

/** mirror_dir wins (cas-sync export mode); otherwise the shared storage, one folder per dest_channel. */
export function openDestination(
  config: Pick<SyncConfig, 'mirror_dir' | 'dest_channel'>,
  env: CliEnv,
): { store: ObjectStore; channelPrefix: string } {
  if (config.mirror_dir !== null) {
    return { store: new FsObjectStore({ root: resolve(config.mirror_dir) }), channelPrefix: '' };
  }
  if (env.store === null) {
    throw new UsageError(
      'nowhere to write: set mirror_dir in the config or CONDASYNC_STORAGE_URL (file:///path or s3://bucket/prefix)',
    );
  }
  return { store: openConfiguredStore(env.store), channelPrefix: `${config.dest_channel}/` };
}
