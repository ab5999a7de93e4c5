import { syncConfigJsonSchema } from '@condasync/mirror';
import { SyncIdSchema, SyncPageSchema, SyncViewSchema } from '@condasync/queue';
import { Type } from '@sinclair/typebox';
import { errorResponse } from '../shared-schemas.ts';

/*
 * The /v1/syncs route schemas. What a sync looks like (SyncViewSchema) is defined once, in
 * libs/queue's sync-view.ts, together with its TypeScript type; these schemas only place it.
 */

/** Media types POST /v1/syncs accepts; each is handed to parseSyncConfig as raw text. */
export const SYNC_CONFIG_MEDIA_TYPES = [
  'application/yaml',
  'text/yaml',
  'application/x-yaml',
  'application/json',
];
export const SYNC_BODY_LIMIT = 256 * 1024;

// `$schema` and `$id` belong to a standalone document; inside OpenAPI they would be taken as a
// reference target and the schema registered twice.
const { $schema: _schema, $id: _id, ...syncConfigSchema } = syncConfigJsonSchema;

const idParams = Type.Object({ id: SyncIdSchema });

const unauthorized = errorResponse('CONDASYNC_API_TOKENS is set and the bearer token is missing or wrong.');
const security = [{ bearerAuth: [] }];

export const createSyncSchema = {
  tags: ['syncs'],
  summary: 'Start a sync',
  description:
    'The body is a sync config (cas-mirror keys) in YAML or JSON. Every upstream must pass ' +
    'CONDASYNC_UPSTREAM_ALLOW (default: public https hosts only). mirror_dir and delta_dir are ' +
    'refused: the API writes into its own storage. With an Idempotency-Key, a retried submission ' +
    'gets the same sync back (with Idempotent-Replayed: true) for 24 h instead of running twice.',
  security,
  headers: Type.Object({
    'idempotency-key': Type.Optional(
      Type.String({
        pattern: '^[\\x21-\\x7e]{1,255}$',
        description: 'Any unique text (a UUID): a retry with the same key and config runs nothing twice.',
      }),
    ),
  }),
  querystring: Type.Object({
    reset: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], {
        description:
          '`true`: as `condasync sync --reset`, the plan fetches upstream metadata without its ETag cache and ' +
          're-hashes every stored file; only files whose bytes differ are downloaded again.',
      }),
    ),
  }),
  body: {
    content: Object.fromEntries(SYNC_CONFIG_MEDIA_TYPES.map((type) => [type, { schema: syncConfigSchema }])),
  },
  response: {
    202: Type.Object(
      { id: SyncIdSchema, status: Type.Literal('queued'), location: Type.String() },
      { description: 'Accepted; the plan job is queued. `Location` points at the sync.' },
    ),
    400: errorResponse(
      'CONFIG_INVALID (every problem with its key path), UPSTREAM_NOT_ALLOWED, or a malformed Idempotency-Key.',
    ),
    401: unauthorized,
    409: errorResponse('The Idempotency-Key was used before with another config.'),
    413: errorResponse('The body is over 256 KiB.'),
    415: errorResponse('The body is neither YAML nor JSON.'),
    503: errorResponse('Redis is unavailable; nothing was queued.'),
  },
} as const;

export const getSyncSchema = {
  tags: ['syncs'],
  summary: 'Status of a sync',
  security,
  params: idParams,
  response: {
    200: SyncViewSchema,
    400: errorResponse('Malformed id.'),
    401: unauthorized,
    404: errorResponse('No such sync.'),
  },
} as const;

export const listSyncsSchema = {
  tags: ['syncs'],
  summary: 'Syncs, newest first',
  security,
  querystring: Type.Object(
    {
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
      cursor: Type.Optional(
        Type.String({ pattern: '^[0-9]{1,9}$', description: 'nextCursor of the previous page.' }),
      ),
    },
    { additionalProperties: false },
  ),
  response: {
    200: SyncPageSchema,
    400: errorResponse('Bad limit or cursor.'),
    401: unauthorized,
  },
} as const;

export const cancelSyncSchema = {
  tags: ['syncs'],
  summary: 'Cancel a sync',
  description:
    'Marks the sync cancelled and removes its waiting plan, package and finalize jobs. Jobs ' +
    'already running finish or stop at their next check; published repodata is left untouched.',
  security,
  params: idParams,
  response: {
    202: SyncViewSchema,
    400: errorResponse('Malformed id.'),
    401: unauthorized,
    404: errorResponse('No such sync.'),
    409: errorResponse('The sync already ended.'),
  },
} as const;
