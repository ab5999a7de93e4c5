import { syncConfigJsonSchema } from '@condasync/mirror';
import { SYNC_ID_PATTERN, SyncStatus } from '@condasync/queue';
import { errorResponse } from '../shared-schemas.ts';

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

const counts = {
  type: 'object',
  required: ['planned', 'downloaded', 'skipped', 'failed'],
  properties: {
    planned: { type: 'integer' },
    downloaded: { type: 'integer' },
    skipped: { type: 'integer' },
    failed: { type: 'integer' },
  },
} as const;

const integer = { type: 'integer' } as const;

export const syncViewSchema = {
  type: 'object',
  required: [
    'id',
    'status',
    'destChannel',
    'createdAt',
    'updatedAt',
    'counts',
    'bytes',
    'subdirs',
    'failures',
  ],
  properties: {
    id: { type: 'string', pattern: SYNC_ID_PATTERN.source },
    status: { type: 'string', enum: Object.values(SyncStatus) },
    destChannel: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    startedAt: { type: ['string', 'null'], format: 'date-time' },
    finishedAt: { type: ['string', 'null'], format: 'date-time' },
    error: { type: ['string', 'null'] },
    counts,
    bytes: {
      type: 'object',
      required: ['planned', 'downloaded'],
      properties: { planned: integer, downloaded: integer },
    },
    subdirs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['subdir', 'status'],
        properties: {
          subdir: { type: 'string' },
          status: { type: 'string', enum: ['downloading', 'finalizing', 'published'] },
          selected: integer,
          planned: integer,
          pending: integer,
          downloaded: integer,
          skipped: integer,
          failed: integer,
          bytesPlanned: integer,
          bytesDownloaded: integer,
          published: integer,
        },
      },
    },
    failures: {
      type: 'array',
      description: 'The first failures (at most 50), with reasons.',
      items: {
        type: 'object',
        required: ['subdir', 'filename', 'code', 'reason'],
        properties: {
          subdir: { type: 'string' },
          filename: { type: 'string' },
          code: { type: 'string' },
          reason: { type: 'string' },
        },
      },
    },
  },
} as const;

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: SYNC_ID_PATTERN.source, description: 'Sync id.' } },
} as const;

const unauthorized = errorResponse('CONDASYNC_API_TOKENS is set and the bearer token is missing or wrong.');
const security = [{ bearerAuth: [] }];

export const createSyncSchema = {
  tags: ['syncs'],
  summary: 'Start a sync',
  description:
    'The body is a sync config (cas-mirror keys) in YAML or JSON. Every upstream must pass ' +
    'CONDASYNC_UPSTREAM_ALLOW (default: public https hosts only). mirror_dir and delta_dir are ' +
    'refused: the API writes into its own storage.',
  security,
  body: {
    content: Object.fromEntries(SYNC_CONFIG_MEDIA_TYPES.map((type) => [type, { schema: syncConfigSchema }])),
  },
  response: {
    202: {
      description: 'Accepted; the plan job is queued. `Location` points at the sync.',
      type: 'object',
      required: ['id', 'status', 'location'],
      properties: {
        id: { type: 'string', pattern: SYNC_ID_PATTERN.source },
        status: { type: 'string', enum: ['queued'] },
        location: { type: 'string' },
      },
    },
    400: errorResponse('CONFIG_INVALID (every problem with its key path) or UPSTREAM_NOT_ALLOWED.'),
    401: unauthorized,
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
    200: syncViewSchema,
    400: errorResponse('Malformed id.'),
    401: unauthorized,
    404: errorResponse('No such sync.'),
  },
} as const;

export const listSyncsSchema = {
  tags: ['syncs'],
  summary: 'Syncs, newest first',
  security,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
      cursor: { type: 'string', pattern: '^[0-9]{1,9}$', description: 'nextCursor of the previous page.' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['items', 'nextCursor'],
      properties: {
        items: { type: 'array', items: syncViewSchema },
        nextCursor: { type: ['string', 'null'] },
      },
    },
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
    202: syncViewSchema,
    400: errorResponse('Malformed id.'),
    401: unauthorized,
    404: errorResponse('No such sync.'),
    409: errorResponse('The sync already ended.'),
  },
} as const;
