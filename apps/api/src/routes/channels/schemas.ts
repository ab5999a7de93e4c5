import { Type } from '@sinclair/typebox';
import { errorResponse } from '../shared-schemas.ts';

/* The /v1/channels/:channel routes: a channel's metadata generations and their rollback. */

const unauthorized = errorResponse('CONDASYNC_API_TOKENS is set and the bearer token is missing or wrong.');
const security = [{ bearerAuth: [] }];
const params = Type.Object({
  channel: Type.String({ maxLength: 128, description: 'Channel name (a sync’s dest_channel).' }),
});

export const GenerationViewSchema = Type.Object({
  n: Type.Integer({ minimum: 1 }),
  time: Type.String({ format: 'date-time', description: 'When it was published.' }),
  source: Type.String({ description: '`sync <id>`, `local sync`, or `rollback of <n>`.' }),
  subdirs: Type.Array(Type.String()),
  current: Type.Boolean({ description: 'What /conda/<channel>/ serves now.' }),
  retainedUntil: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'Older generations: served and rolled back to until then.',
    }),
  ),
  url: Type.String({ description: 'Where conda clients find it: /conda/<channel>@<n>/.' }),
});

export const listGenerationsSchema = {
  tags: ['channel'],
  summary: 'The metadata generations of a channel that can still be served and rolled back to',
  security,
  params,
  response: {
    200: Type.Object({ channel: Type.String(), generations: Type.Array(GenerationViewSchema) }),
    401: unauthorized,
    404: errorResponse('The channel has no generation (never synced since generations exist).'),
  },
} as const;

export const rollbackSchema = {
  tags: ['channel'],
  summary: 'Publish an older metadata generation again',
  description:
    'Publishes generation `generation`’s metadata again, as a new generation, under the channel’s ' +
    'lock (a sync or cleanup of the channel waits, and a rollback waits for none: it answers 409 ' +
    'while one runs). Refused with 409 and every missing file named when a package or shard the ' +
    'generation lists is no longer stored; nothing is published then. The next sync publishes ' +
    'upstream’s state again: pause the channel’s schedule to keep a rollback.',
  security,
  params,
  body: Type.Object({ generation: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
  response: {
    200: Type.Object({
      channel: Type.String(),
      from: Type.Integer({ description: 'The generation rolled back to.' }),
      generation: Type.Integer({ description: 'The new current generation.' }),
      changed: Type.Boolean({ description: 'False when the channel already published exactly that.' }),
      subdirs: Type.Array(Type.String()),
      countdownsStopped: Type.Integer({
        description: 'Files listed again whose deletion countdown stopped.',
      }),
    }),
    400: errorResponse('The body is not {"generation": <integer ≥ 1>}.'),
    401: unauthorized,
    404: errorResponse('No such generation, or it was pruned after its grace period.'),
    409: errorResponse(
      'A sync or cleanup holds the channel, or the generation lists files no longer stored.',
    ),
    503: errorResponse('Redis or the object store is unavailable; nothing was published.'),
  },
} as const;
