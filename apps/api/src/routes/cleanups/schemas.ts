import { syncConfigJsonSchema } from '@condasync/mirror';
import { CleanupIdSchema, CleanupViewSchema } from '@condasync/queue';
import { Type } from '@sinclair/typebox';
import { errorResponse } from '../shared-schemas.ts';
import { SYNC_CONFIG_MEDIA_TYPES } from '../syncs/schemas.ts';

/* The /v1/cleanups route schemas; what a cleanup looks like is defined in libs/queue's cleanup-view.ts. */

const { $schema: _schema, $id: _id, ...syncConfigSchema } = syncConfigJsonSchema;
const unauthorized = errorResponse('CONDASYNC_API_TOKENS is set and the bearer token is missing or wrong.');
const security = [{ bearerAuth: [] }];

export const createCleanupSchema = {
  tags: ['cleanups'],
  summary: 'Delete what a sync config no longer selects',
  description:
    'The body is a sync config, as for POST /v1/syncs. A worker computes what the config selects ' +
    'with the sync’s own plan step and deletes, at once instead of after grace_period_hours, the ' +
    'package files of dest_channel it no longer selects (or upstream removed) and the shard files ' +
    'the published shard index no longer references. A file that published repodata still lists ' +
    'is never deleted (the report names it: sync first, then clean). Selected files not published ' +
    'yet are kept. With `dry_run=true` it only reports. A cleanup and a sync of the same channel ' +
    'never run at once: whichever comes second waits.',
  security,
  querystring: Type.Object(
    { dry_run: Type.Optional(Type.Boolean({ default: false, description: 'Only list; delete nothing.' })) },
    { additionalProperties: false },
  ),
  body: {
    content: Object.fromEntries(SYNC_CONFIG_MEDIA_TYPES.map((type) => [type, { schema: syncConfigSchema }])),
  },
  response: {
    202: Type.Object(
      { id: CleanupIdSchema, status: Type.Literal('queued'), location: Type.String() },
      { description: 'Accepted; the clean job is queued. `Location` points at the cleanup.' },
    ),
    400: errorResponse(
      'CONFIG_INVALID (every problem with its key path), UPSTREAM_NOT_ALLOWED, or a bad dry_run.',
    ),
    401: unauthorized,
    413: errorResponse('The body is over 256 KiB.'),
    415: errorResponse('The body is neither YAML nor JSON.'),
    503: errorResponse('Redis is unavailable; nothing was queued.'),
  },
} as const;

export const getCleanupSchema = {
  tags: ['cleanups'],
  summary: 'Status and report of a cleanup',
  security,
  params: Type.Object({ id: CleanupIdSchema }),
  response: {
    200: CleanupViewSchema,
    400: errorResponse('Malformed id.'),
    401: unauthorized,
    404: errorResponse('No such cleanup.'),
  },
} as const;
