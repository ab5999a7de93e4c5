import type { SyncConfig } from '@condasync/mirror';
import { newSyncId, planJobId, type SyncRegistry } from '@condasync/queue';
import type { Queue } from 'bullmq';

/** Submits a sync as `POST /v1/syncs` does (registry entry, then its plan job); returns its id. */
export async function submitSyncAsApi(
  registry: SyncRegistry,
  planQueue: Queue,
  config: SyncConfig,
  attempts = 3,
): Promise<string> {
  const id = newSyncId();
  await registry.create({ id, destChannel: config.dest_channel, config });
  await planQueue.add('plan', { syncId: id }, { jobId: planJobId(id), attempts });
  return id;
}
