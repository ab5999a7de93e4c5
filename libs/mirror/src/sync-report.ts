import type { UnresolvedDependency } from '@condasync/conda';
import type { InstallersReport } from './installers/installers-step.ts';
import type { Collision, RejectedRecord } from './steps/plan.ts';

export type SyncPhase = 'planning' | 'downloading' | 'finalizing' | 'done';

/** Live counters for progress bars and status endpoints. */
export interface SyncProgress {
  phase: SyncPhase;
  packagesTotal: number;
  packagesDone: number;
  packagesFailed: number;
  bytesTotal: number;
  bytesDone: number;
}

export interface PackageFailure {
  subdir: string;
  filename: string;
  code: string;
  reason: string;
  /**
   * Not tried this run: it failed for good before (a 404, corrupt bytes) and upstream still lists
   * the same record. `sync --reset`, or any change of the record upstream, tries it again.
   */
  notRetried?: { since: string };
}

export interface SubdirReport {
  subdir: string;
  /** Records the filters selected. */
  selected: number;
  toDownload: number;
  toDownloadBytes: number;
  /** Selected files already in the store. */
  present: number;
  downloaded: number;
  downloadedBytes: number;
  /** Failed packages, the ones not retried included. */
  failed: number;
  /** Failed packages not tried again this run (see PackageFailure.notRetried). */
  notRetried: number;
  /** Stored files the new repodata no longer lists. */
  toRemove: number;
  toRemoveBytes: number;
  /** Records in the published repodata. */
  published: number;
  repodataChanged: boolean;
  deleted: number;
  pendingDeletion: number;
}

export interface SyncReport {
  /** `partial`: some packages failed and were left out; everything else was published. */
  status: 'succeeded' | 'partial';
  dryRun: boolean;
  seconds: number;
  subdirs: SubdirReport[];
  failures: PackageFailure[];
  excluded: Record<string, number>;
  unresolved: UnresolvedDependency[];
  rejected: RejectedRecord[];
  collisions: Collision[];
  /** Dry runs only: what a real run would add and remove. */
  additions?: Array<{ subdir: string; filename: string; size: number }>;
  removals?: Array<{ subdir: string; filename: string; size: number }>;
  /** `delta: true` only: the delta bundle this run wrote, or null when it changed nothing. */
  deltaBundle?: string | null;
  /** `fetch_installers: true` only: what happened to each installer folder of `dir_names`. */
  installers?: InstallersReport;
}
