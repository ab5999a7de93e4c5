import type { SyncConfig } from '@condasync/mirror';
import { type PlanJobData, SyncLifecycle, type SyncRegistry } from '@condasync/queue';
import type { Queue } from 'bullmq';

/**
 * Submits a sync through the same SyncLifecycle as `POST /v1/syncs` (registry entry, then its plan
 * job); returns its id. `planAttempts` overrides the plan job's attempts (a bench wants one).
 */
export async function submitSyncAsApi(
  registry: SyncRegistry,
  planQueue: Queue<PlanJobData>,
  config: SyncConfig,
  planAttempts?: number,
): Promise<string> {
  const lifecycle = new SyncLifecycle(registry, { plan: planQueue });
  return lifecycle.submit(
    { destChannel: config.dest_channel, config },
    planAttempts === undefined ? {} : { planAttempts },
  );
}
