import { SyncIdSchema } from '@condasync/queue';
import { Type } from '@sinclair/typebox';
import { errorResponse } from '../shared-schemas.ts';
import { SYNC_CONFIG_MEDIA_TYPES } from '../syncs/schemas.ts';

/*
 * The /v1/verifications route schemas. The report is libs/mirror's VerifyReport as the verify
 * step returns it (the job's return value).
 */

const unauthorized = errorResponse('CONDASYNC_API_TOKENS is set and the bearer token is missing or wrong.');
const security = [{ bearerAuth: [] }];

export const VERIFICATION_STATUSES = [
  'queued',
  'running',
  'clean',
  'repaired',
  'problems',
  'failed',
] as const;

const ProblemSchema = Type.Object({
  subdir: Type.String(),
  filename: Type.String(),
  status: Type.Union([Type.Literal('missing'), Type.Literal('mismatch')]),
  reason: Type.String(),
  repaired: Type.Optional(Type.Boolean()),
  repairError: Type.Optional(Type.String()),
});

const ReportSchema = Type.Object({
  status: Type.Union([Type.Literal('clean'), Type.Literal('repaired'), Type.Literal('problems')]),
  checked: Type.Integer(),
  bytesChecked: Type.Integer(),
  missing: Type.Integer(),
  mismatched: Type.Integer(),
  repaired: Type.Integer(),
  problems: Type.Array(ProblemSchema),
  subdirs: Type.Array(
    Type.Object({
      subdir: Type.String(),
      published: Type.Boolean(),
      checked: Type.Integer(),
      problems: Type.Integer(),
    }),
  ),
  seconds: Type.Number(),
});

export const VerificationViewSchema = Type.Object({
  id: SyncIdSchema,
  status: Type.Union(
    VERIFICATION_STATUSES.map((status) => Type.Literal(status)),
    {
      description:
        '`clean`: every listed file matches; `repaired`: problems were found and every one was fetched again; ' +
        '`problems`: some remain (see `report.problems`); `failed`: the check itself failed (see `error`).',
    },
  ),
  destChannel: Type.String(),
  repair: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
  error: Type.Optional(Type.String()),
  report: Type.Optional(ReportSchema),
});

export const createVerificationSchema = {
  tags: ['verifications'],
  summary: 'Verify a mirrored channel',
  description:
    'The body is the sync config of the channel (YAML or JSON, checked as for POST /v1/syncs). A worker ' +
    're-hashes every package file that the published repodata.json of each of its subdirs lists and ' +
    'reports those missing or with other bytes. With `?repair=true` each is fetched again from the ' +
    "config's channels (verified like any download); published metadata is left as it is.",
  security,
  querystring: Type.Object({
    repair: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  }),
  body: { content: Object.fromEntries(SYNC_CONFIG_MEDIA_TYPES.map((type) => [type, { schema: {} }])) },
  response: {
    202: Type.Object(
      { id: SyncIdSchema, status: Type.Literal('queued'), location: Type.String() },
      { description: 'Accepted; `Location` points at the verification.' },
    ),
    400: errorResponse('CONFIG_INVALID, UPSTREAM_NOT_ALLOWED, or a bad `repair`.'),
    401: unauthorized,
    503: errorResponse('Redis is unavailable; nothing was queued.'),
  },
} as const;

export const getVerificationSchema = {
  tags: ['verifications'],
  summary: 'Status and report of a verification',
  security,
  params: Type.Object({ id: SyncIdSchema }),
  response: {
    200: VerificationViewSchema,
    400: errorResponse('Malformed id.'),
    401: unauthorized,
    404: errorResponse('No such verification (or its report expired after 7 days).'),
  },
} as const;
