import {
  type Logger,
  MirrorError,
  type SyncConfig,
  type SyncRun,
  storedSyncConfig,
  type UpstreamHttp,
} from '@condasync/mirror';
import {
  type FinalizeJobData,
  type PackageJobData,
  SyncLifecycle,
  type SyncRegistry,
  type SyncStatus,
  TERMINAL_STATUSES,
} from '@condasync/queue';
import type { ObjectStore } from '@condasync/storage';
import { type Queue, UnrecoverableError } from 'bullmq';
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
  syncStatuses: SyncStatusCache;
}

// One per services object, shared by the three processors (it remembers lock refreshes).
const lifecycles = new WeakMap<WorkerServices, SyncLifecycle>();

/** The sync lifecycle (enqueueing, the channel lock, ending syncs) over this process's queues. */
export function lifecycleOf(services: WorkerServices): SyncLifecycle {
  let lifecycle = lifecycles.get(services);
  if (lifecycle === undefined) {
    lifecycle = new SyncLifecycle(services.registry, {
      package: services.packageQueue,
      finalize: services.finalizeQueue,
    });
    lifecycles.set(services, lifecycle);
  }
  return lifecycle;
}

/**
 * The sync a job belongs to, as the steps of libs/mirror take it: its stored config, the shared
 * store and upstream client, the channel's key prefix and this process's work folder.
 */
export async function syncRunOf(
  services: WorkerServices,
  syncId: string,
  options: { signal?: AbortSignal | undefined; logger?: Logger } = {},
): Promise<SyncRun> {
  const config = await services.syncConfigs.get(syncId);
  return {
    config,
    store: services.store,
    channelPrefix: `${config.dest_channel}/`,
    http: services.http,
    workDir: services.config.workDir,
    logger: options.logger ?? services.logger,
    signal: options.signal,
  };
}

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

  /**
   * The sync's config. A missing, unreadable or invalid one throws UnrecoverableError: no retry
   * can repair it, and the job's sync then fails with this reason.
   */
  async get(syncId: string): Promise<SyncConfig> {
    const cached = this.#entries.get(syncId);
    if (cached) return cached;
    let raw: unknown;
    try {
      raw = await this.#registry.config(syncId);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error; // Redis trouble: worth another attempt
      throw new UnrecoverableError(`sync ${syncId}: the stored config is not JSON: ${error.message}`);
    }
    if (raw === null) throw new UnrecoverableError(`sync ${syncId} has no stored config`);
    let config: SyncConfig;
    try {
      config = storedSyncConfig(raw);
    } catch (error) {
      if (!(error instanceof MirrorError)) throw error;
      throw new UnrecoverableError(`sync ${syncId}: ${error.message}`);
    }
    if (this.#entries.size >= 64) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(syncId, config);
    return config;
  }
}

/** How long a package job may act on a running sync's status read by another job of this process. */
export const SYNC_STATUS_TTL_MS = 1000;

/**
 * Sync statuses by id for package jobs, which only need to know whether their sync has ended: one
 * Redis round trip per sync per second instead of one per package. A sync cancelled or failed is
 * seen by this process's jobs within SYNC_STATUS_TTL_MS; an ended sync never runs again, so
 * terminal statuses are kept. Nothing is published on the strength of it: finalize reads afresh.
 */
export class SyncStatusCache {
  readonly #registry: SyncRegistry;
  readonly #entries = new Map<string, { status: SyncStatus | null; readAt: number }>();
  readonly #reading = new Map<string, Promise<SyncStatus | null>>();
  constructor(registry: SyncRegistry) {
    this.#registry = registry;
  }

  async get(syncId: string): Promise<SyncStatus | null> {
    const entry = this.#entries.get(syncId);
    if (
      entry !== undefined &&
      ((entry.status !== null && TERMINAL_STATUSES.has(entry.status)) ||
        performance.now() - entry.readAt < SYNC_STATUS_TTL_MS)
    ) {
      return entry.status;
    }
    // Jobs that start together share one read.
    let reading = this.#reading.get(syncId);
    if (reading === undefined) {
      reading = this.#read(syncId);
      this.#reading.set(syncId, reading);
    }
    return reading;
  }

  async #read(syncId: string): Promise<SyncStatus | null> {
    try {
      const status = await this.#registry.status(syncId);
      if (this.#entries.size >= 256 && !this.#entries.has(syncId)) {
        this.#entries.delete(this.#entries.keys().next().value as string);
      }
      this.#entries.set(syncId, { status, readAt: performance.now() });
      return status;
    } finally {
      this.#reading.delete(syncId);
    }
  }
}
