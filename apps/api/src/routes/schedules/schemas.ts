import { Type } from '@sinclair/typebox';
import { errorResponse } from '../shared-schemas.ts';

/* The /v1/schedules route schemas: periodic syncs run by BullMQ job schedulers. */

const nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

const ScheduleIdSchema = Type.String({
  pattern: '^[A-Za-z0-9_-]{1,64}$',
  description: 'Letters, digits, `_`, `-`.',
});

const ScheduleTickSchema = Type.Object({
  at: Type.String({ format: 'date-time' }),
  outcome: Type.Union([Type.Literal('started'), Type.Literal('skipped'), Type.Literal('failed')]),
  syncId: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String({ description: 'Why the tick was skipped or failed.' })),
});

export const ScheduleViewSchema = Type.Object({
  id: ScheduleIdSchema,
  destChannel: Type.String(),
  timing: Type.Object({
    cron: nullable(Type.String()),
    every: Type.Union([Type.Integer(), Type.Null()], { description: 'Milliseconds between runs.' }),
    tz: nullable(Type.String()),
  }),
  createdAt: Type.String({ format: 'date-time' }),
  nextRunAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'When BullMQ fires the schedule next.',
  }),
  lastSyncId: Type.Union([Type.String(), Type.Null()]),
  ticks: Type.Array(ScheduleTickSchema, { description: 'The latest firings, newest first (at most 20).' }),
});

const idParams = Type.Object({ id: ScheduleIdSchema });
const unauthorized = errorResponse('CONDASYNC_API_TOKENS is set and the bearer token is missing or wrong.');
const security = [{ bearerAuth: [] }];

export const createScheduleSchema = {
  tags: ['schedules'],
  summary: 'Create or replace a periodic sync',
  description:
    'JSON body: `config` (the sync config, as YAML/JSON text or as an object; checked as POST /v1/syncs ' +
    'checks it), and exactly one of `cron` (5 or 6 fields, seconds first; `tz` an IANA zone) or ' +
    '`every` (milliseconds, at least 1000). `id` names the schedule (default: its dest_channel); ' +
    'posting an existing id replaces it. A firing while the channel’s previous sync still runs is ' +
    'skipped and recorded with the reason.',
  security,
  body: Type.Object({
    id: Type.Optional(ScheduleIdSchema),
    cron: Type.Optional(Type.String({ examples: ['0 2 * * *'] })),
    every: Type.Optional(Type.Integer({ minimum: 1000 })),
    tz: Type.Optional(Type.String({ examples: ['Europe/Paris'] })),
    config: Type.Union([Type.String(), Type.Object({}, { additionalProperties: true })]),
  }),
  response: {
    200: { description: 'Replaced.', ...ScheduleViewSchema },
    201: { description: 'Created; `Location` points at it.', ...ScheduleViewSchema },
    400: errorResponse(
      'INVALID_REQUEST (bad timing or id) or CONFIG_INVALID (every problem with its field), or UPSTREAM_NOT_ALLOWED.',
    ),
    401: unauthorized,
    503: errorResponse('Redis is unavailable; nothing was scheduled.'),
  },
} as const;

export const listSchedulesSchema = {
  tags: ['schedules'],
  summary: 'Every schedule, by id',
  security,
  response: { 200: Type.Object({ items: Type.Array(ScheduleViewSchema) }), 401: unauthorized },
} as const;

export const getScheduleSchema = {
  tags: ['schedules'],
  summary: 'A schedule, its next run and its latest firings',
  security,
  params: idParams,
  response: {
    200: ScheduleViewSchema,
    400: errorResponse('Malformed id.'),
    401: unauthorized,
    404: errorResponse('No such schedule.'),
  },
} as const;

export const deleteScheduleSchema = {
  tags: ['schedules'],
  summary: 'Stop and forget a schedule',
  description: 'No further firing; a sync it already started runs on (cancel it with DELETE /v1/syncs/:id).',
  security,
  params: idParams,
  response: {
    204: Type.Null({ description: 'Deleted.' }),
    400: errorResponse('Malformed id.'),
    401: unauthorized,
    404: errorResponse('No such schedule.'),
  },
} as const;
