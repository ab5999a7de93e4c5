import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { SYNC_ID_PATTERN } from './queues.ts';

/*
 * What the REST API reports about a sync, defined once: the TypeBox schemas below are plain JSON
 * Schema objects, which the API hands to Fastify as its response schemas (and so to /docs), and
 * the TypeScript types are derived from them with Static<>.
 */

/** Lifecycle of a sync, as the REST API reports it (docs/design.md §7). */
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

/** A string enum as JSON Schema's `enum` (TypeBox's own unions would read as anyOf in OpenAPI). */
function stringEnum<T extends string>(values: readonly T[], options: { description?: string } = {}) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
}

const nullable = <T extends TSchema>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description });

const count = (description?: string) =>
  Type.Integer(description === undefined ? { minimum: 0 } : { minimum: 0, description });

export const SyncIdSchema = Type.String({ pattern: SYNC_ID_PATTERN.source, description: 'Sync id.' });

export const SyncStatusSchema = stringEnum(Object.values(SyncStatus));

export const SubdirProgressSchema = Type.Object({
  subdir: Type.String(),
  status: stringEnum(['downloading', 'finalizing', 'published'] as const, {
    description: '`downloading` until every package job ended, then `finalizing`, then `published`.',
  }),
  selected: count('Records the filters selected for publication.'),
  planned: count('Package jobs planned (files not yet in the store).'),
  pending: count(),
  downloaded: count(),
  skipped: count('Selected files already in the store.'),
  failed: count(),
  bytesPlanned: count(),
  bytesDownloaded: count(),
  published: count('Records in the published repodata (after finalize).'),
});
export type SubdirProgress = Static<typeof SubdirProgressSchema>;

export const FailureViewSchema = Type.Object({
  subdir: Type.String(),
  filename: Type.String(),
  code: Type.String({ description: 'Stable failure code, e.g. CHECKSUM_MISMATCH.' }),
  reason: Type.String(),
});
export type FailureView = Static<typeof FailureViewSchema>;

export const CollisionViewSchema = Type.Object({
  subdir: Type.String(),
  filename: Type.String(),
  kept: Type.String({ description: 'The channel whose file was mirrored: the first listed in `channels`.' }),
  dropped: Type.String({ description: 'The later channel that offered the same filename.' }),
});
export type CollisionView = Static<typeof CollisionViewSchema>;
/** One installer folder of a sync with `fetch_installers: true` (libs/mirror's InstallerDirReport). */
export const InstallerDirViewSchema = Type.Object({
  dir: Type.String({ description: 'The folder of dir_names, served at /downloads/<dir>/.' }),
  listed: count('Rows of upstream’s index page with a sha256.'),
  present: count('Already stored with that sha256: not fetched again.'),
  downloaded: count(),
  downloadedBytes: count(),
  skipped: Type.Array(Type.Object({ filename: Type.String(), reason: Type.String() }), {
    description: 'Rows that cannot be verified (no sha256, odd name or size): not mirrored.',
  }),
  failed: Type.Array(Type.Object({ filename: Type.String(), code: Type.String(), reason: Type.String() })),
  toRemove: Type.Array(Type.Object({ filename: Type.String(), size: count() }), {
    description: 'Stored files upstream’s page no longer lists (deleted after the grace period).',
  }),
  deleted: count(),
  pendingDeletion: count(),
  error: Type.Optional(
    Type.Object(
      { code: Type.String(), reason: Type.String() },
      { description: 'The page could not be read.' },
    ),
  ),
});
export type InstallerDirView = Static<typeof InstallerDirViewSchema>;

export const SyncViewSchema = Type.Object(
  {
    id: SyncIdSchema,
    status: SyncStatusSchema,
    destChannel: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    startedAt: nullable(
      Type.String({ format: 'date-time' }),
      'When the plan job started; null while queued.',
    ),
    finishedAt: nullable(Type.String({ format: 'date-time' }), 'When the sync ended; null until then.'),
    error: nullable(Type.String(), 'Why the sync failed as a whole, if it did.'),
    counts: Type.Object({ planned: count(), downloaded: count(), skipped: count(), failed: count() }),
    bytes: Type.Object({ planned: count(), downloaded: count() }),
    subdirs: Type.Array(SubdirProgressSchema),
    failures: Type.Array(FailureViewSchema, {
      description: 'The first failures (at most 50), with reasons.',
    }),
    collisions: Type.Object(
      { total: count(), first: Type.Array(CollisionViewSchema) },
      {
        description:
          'Filenames that several of the merged `channels` offer, found by the plan: `total`, and the first ' +
          '50 with both sources. The first channel listed wins.',
      },
    ),
    installers: Type.Optional(
      Type.Array(InstallerDirViewSchema, {
        description:
          '`fetch_installers: true` only, once the installer folders were mirrored (after the packages).',
      }),
    ),
  },
  { description: 'A sync and its progress. Tokens never appear in it.' },
);
/** What `GET /v1/syncs/:id` returns. Tokens never appear in it. */
export type SyncView = Static<typeof SyncViewSchema>;

export const SyncPageSchema = Type.Object({
  items: Type.Array(SyncViewSchema),
  nextCursor: nullable(Type.String(), 'Pass as `cursor` for the next page; null on the last page.'),
});
/** What `GET /v1/syncs` returns: syncs newest first, and the cursor of the next page. */
export type SyncPage = Static<typeof SyncPageSchema>;
