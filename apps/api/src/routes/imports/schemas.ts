import { IMPORT_ID_PATTERN } from '@condasync/queue';
import { Type } from '@sinclair/typebox';
import { errorResponse } from '../shared-schemas.ts';

/*
 * The /v1/imports route schemas. The report is libs/mirror's BundleImportResult as the import
 * returns it (the job's return value).
 */

const unauthorized = errorResponse('CONDASYNC_API_TOKENS is set and the bearer token is missing or wrong.');
const security = [{ bearerAuth: [] }];

export const ImportIdSchema = Type.String({ pattern: IMPORT_ID_PATTERN.source, description: 'Import id.' });

export const IMPORT_STATUSES = ['queued', 'waiting', 'running', 'succeeded', 'failed'] as const;

const ReportSchema = Type.Object({
  kind: Type.String({ description: '`full` or `delta`.' }),
  source: Type.Object({ store: Type.String(), channel: Type.String() }),
  members: Type.Integer(),
  bytes: Type.Integer(),
  stored: Type.Integer({
    description: 'Packages and shards newly written (the others were already stored).',
  }),
  published: Type.Array(Type.String(), { description: 'Metadata files published, in publication order.' }),
  deleted: Type.Integer(),
});

export const ImportViewSchema = Type.Object({
  id: ImportIdSchema,
  status: Type.Union(
    IMPORT_STATUSES.map((status) => Type.Literal(status)),
    {
      description:
        '`waiting`: a sync, cleanup or other import of the channel holds it; `failed`: the bundle was refused ' +
        '(nothing was published; `error` names the bad members) or could not be read.',
    },
  ),
  destChannel: Type.String(),
  bundle: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
  error: Type.Optional(Type.String()),
  report: Type.Optional(ReportSchema),
});

export const ImportRequestSchema = Type.Object(
  {
    bundle: Type.String({
      minLength: 1,
      maxLength: 1024,
      description:
        "The bundle's key in the store (a .tar written by `condasync export` or a sync's `delta: true`), " +
        'relative to the storage prefix, e.g. `bundles/conda-forge-2026-12-01.tar`.',
    }),
    dest_channel: Type.String({
      pattern: '^[A-Za-z0-9_-][A-Za-z0-9._-]*$',
      maxLength: 255,
      description: 'The channel to publish into, stored under `<prefix>/<dest_channel>/`.',
    }),
  },
  { additionalProperties: false },
);

export const createImportSchema = {
  tags: ['imports'],
  summary: 'Import a bundle that is in the object store',
  description:
    'A worker reads the bundle from the store, verifies every member against its manifest and every ' +
    'repodata record against the file it lists, then publishes into `dest_channel`, holding the ' +
    "channel's lock as a sync does. A bundle that fails verification publishes nothing; a delta is " +
    'refused unless the channel publishes exactly the repodata it was built on.',
  security,
  body: ImportRequestSchema,
  response: {
    202: Type.Object(
      { id: ImportIdSchema, status: Type.Literal('queued'), location: Type.String() },
      { description: 'Accepted; `Location` points at the import.' },
    ),
    400: errorResponse(
      'INVALID_REQUEST: a bad body, a bundle key that is not a plain key, or no such bundle.',
    ),
    401: unauthorized,
    503: errorResponse('Redis or the store is unavailable; nothing was queued.'),
  },
} as const;

export const getImportSchema = {
  tags: ['imports'],
  summary: 'Status and report of an import',
  security,
  params: Type.Object({ id: ImportIdSchema }),
  response: {
    200: ImportViewSchema,
    400: errorResponse('Malformed id.'),
    401: unauthorized,
    404: errorResponse('No such import (or its report expired after 7 days).'),
  },
} as const;
