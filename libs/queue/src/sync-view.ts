/** Lifecycle of a sync, as the REST API reports it (DESIGN §5). */
export const SyncStatus = {
  queued: 'queued',
  planning: 'planning',
  downloading: 'downloading',
  finalizing: 'finalizing',
  succeeded: 'succeeded',
  partial: 'partial',
  failed: 'failed',
  cancelled: 'cancelled',
} as const;
export type SyncStatus = (typeof SyncStatus)[keyof typeof SyncStatus];

export const TERMINAL_STATUSES: ReadonlySet<SyncStatus> = new Set([
  'succeeded',
  'partial',
  'failed',
  'cancelled',
]);

export interface SubdirProgress {
  subdir: string;
  /** `downloading` until every package job ended, then `finalizing`, then `published`. */
  status: 'downloading' | 'finalizing' | 'published';
  /** Records the filters selected for publication. */
  selected: number;
  /** Package jobs planned (files not yet in the store). */
  planned: number;
  pending: number;
  downloaded: number;
  /** Selected files already in the store. */
  skipped: number;
  failed: number;
  bytesPlanned: number;
  bytesDownloaded: number;
  /** Records in the published repodata (after finalize). */
  published: number;
}

export interface FailureView {
  subdir: string;
  filename: string;
  code: string;
  reason: string;
}

/** What `GET /v1/syncs/:id` returns. Tokens never appear in it. */
export interface SyncView {
  id: string;
  status: SyncStatus;
  destChannel: string;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  counts: { planned: number; downloaded: number; skipped: number; failed: number };
  bytes: { planned: number; downloaded: number };
  subdirs: SubdirProgress[];
  /** The first failures (at most 50), with reasons. */
  failures: FailureView[];
}
