/*
 * Who can hold a channel's lock (docs/design.md §5, invariant 6). Syncs and cleanups have registry
 * records whose status tells whether the holder is still alive; jobs without a record of their own
 * (imports) are told apart by their id's prefix and mark themselves running beside the lock
 * (SyncRegistry.acquireChannelLockForJob).
 */

export type ChannelLockHolderKind = 'sync' | 'cleanup' | 'import' | 'rollback';

/** Import ids: `imp-<sync-id-like suffix>`. */
export const IMPORT_ID_PREFIX = 'imp-';

/** Rollback ids (POST /v1/channels/:channel/rollback, run in the API request): `rbk-<uuid>`. */
export const ROLLBACK_ID_PREFIX = 'rbk-';

export const JOB_HOLDER_KINDS: ReadonlyArray<{ kind: ChannelLockHolderKind; prefix: string }> = [
  { kind: 'import', prefix: IMPORT_ID_PREFIX },
  { kind: 'rollback', prefix: ROLLBACK_ID_PREFIX },
];
