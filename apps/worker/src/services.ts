import { join } from 'node:path';
import { type Logger, resolveSyncConfig, type SyncConfig, type UpstreamHttp } from '@condasync/mirror';
import type { FinalizeJobData, PackageJobData, SyncRegistry } from '@condasync/queue';
import type { ObjectStore } from '@condasync/storage';
import type { Queue } from 'bullmq';
import type { WorkerConfig } from './config.ts';
import type { WorkerMetrics } from './metrics.ts';

/** What every processor needs, built once per process by main.ts. */
export interface WorkerServices {
  config: WorkerConfig;
  store: ObjectStore;
  registry: SyncRegistry;
  packageQueue: Queue<PackageJobData>;
  finalizeQueue: Queue<FinalizeJobData>;
  http: UpstreamHttp;
  logger: Logger;
  metrics: WorkerMetrics;
  syncConfigs: SyncConfigCache;
}

/** How long a channel lock lives without being refreshed; a crashed holder frees it after this. */
export const CHANNEL_LOCK_TTL_MS = 15 * 60_000;

export const tempDirOf = (config: WorkerConfig): string => join(config.workDir, 'tmp');
export const cacheDirOf = (config: WorkerConfig): string => join(config.workDir, 'cache');

/**
 * Sync configs by id, so 500 k package jobs do not each re-read and re-validate the config. A
 * config never changes after submission, so entries never go stale; the map is only bounded.
 */
export class SyncConfigCache {
  readonly #registry: SyncRegistry;
  readonly #entries = new Map<string, SyncConfig>();
  constructor(registry: SyncRegistry) {
    this.#registry = registry;
  }
  async get(syncId: string): Promise<SyncConfig | null> {
    const cached = this.#entries.get(syncId);
    if (cached) return cached;
    const raw = await this.#registry.config(syncId);
    if (raw === null) return null;
    const config = resolveSyncConfig(raw);
    if (this.#entries.size >= 64) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(syncId, config);
    return config;
  }
}
