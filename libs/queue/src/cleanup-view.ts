import { type Static, Type } from '@sinclair/typebox';

/*
 * What the REST API reports about a cleanup (POST /v1/cleanups), defined once like sync-view.ts:
 * the schemas are the API's response schemas (and /docs), the types are derived from them. The
 * report is libs/mirror's CleanReport as the clean step returns it.
 */

/** `cln-` and a sync-style id: a channel lock names its holder, and this tells a cleanup from a sync. */
export const CLEANUP_ID_PREFIX = 'cln-';
export const CLEANUP_ID_PATTERN = /^cln-[0-9a-z]{9}-[0-9a-f]{10}$/;

export const CleanupStatus = {
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
} as const;
export type CleanupStatus = (typeof CleanupStatus)[keyof typeof CleanupStatus];

export const CleanupIdSchema = Type.String({
  pattern: CLEANUP_ID_PATTERN.source,
  description: 'Cleanup id.',
});

const count = () => Type.Integer({ minimum: 0 });
const nullable = <T extends ReturnType<typeof Type.String>>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description });

export const CleanFileSchema = Type.Object({
  subdir: Type.String({ description: 'The subdir, or `downloads/<dir>` for an installer.' }),
  filename: Type.String({ description: '`foo-1.0-0.conda`, or `shards/<sha256>.msgpack.zst`.' }),
  kind: Type.Unsafe<'package' | 'shard' | 'installer'>({
    type: 'string',
    enum: ['package', 'shard', 'installer'],
  }),
  size: count(),
});

export const CleanReportSchema = Type.Object(
  {
    dryRun: Type.Boolean(),
    files: Type.Array(CleanFileSchema, { description: 'Deleted, or (dry run) what would be deleted.' }),
    bytes: Type.Integer({ minimum: 0, description: 'Total size of `files`.' }),
    keptListed: Type.Array(CleanFileSchema, {
      description:
        'Dropped by the config but still listed by published metadata: never deleted. Sync, then clean again.',
    }),
    keptUnpublished: Type.Integer({
      minimum: 0,
      description: 'Selected files in the store not published yet: kept for the next sync.',
    }),
    seconds: Type.Number({ minimum: 0 }),
  },
  { description: 'What the cleanup deleted (or would delete), with sizes and a total.' },
);
export type CleanReportView = Static<typeof CleanReportSchema>;

export const CleanupViewSchema = Type.Object(
  {
    id: CleanupIdSchema,
    status: Type.Unsafe<CleanupStatus>({ type: 'string', enum: Object.values(CleanupStatus) }),
    destChannel: Type.String(),
    dryRun: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    finishedAt: nullable(Type.String({ format: 'date-time' }), 'When the cleanup ended; null until then.'),
    error: nullable(Type.String(), 'Why the cleanup failed, if it did.'),
    report: Type.Union([CleanReportSchema, Type.Null()], { description: 'The report, once succeeded.' }),
  },
  { description: 'A cleanup and, once it ended, its report. Tokens never appear in it.' },
);
/** What `GET /v1/cleanups/:id` returns. */
export type CleanupView = Static<typeof CleanupViewSchema>;
