import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type GenerationIndex,
  MirrorError,
  MirrorErrorCode,
  readGenerationIndex,
  retainedGenerations,
  rollbackToGeneration,
} from '@condasync/mirror';
import { announcePublished, RollbackLock } from '@condasync/queue';
import type { FastifyInstance } from 'fastify';
import { ApiError, ApiErrorCode } from '../../errors.ts';
import { listGenerationsSchema, rollbackSchema } from './schemas.ts';

/** Channel and subdir names as dest_channel allows them (see conda/file-policy.ts). */
const CHANNEL = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/**
 * `/v1/channels/:channel/generations` and `/rollback` (docs/design.md §5). A rollback runs in the
 * request, under the channel's lock: it copies a few snapshot objects inside the store and
 * rewrites the subdirs' JSON, so it is short next to a sync, and the caller gets its outcome
 * (or the files that block it) at once.
 */
export default async function channelRoutes(app: FastifyInstance): Promise<void> {
  const lock = new RollbackLock(app.syncRegistry);
  app.addHook('onRequest', app.requireApiToken);

  app.get<{ Params: { channel: string } }>(
    '/:channel/generations',
    { schema: listGenerationsSchema },
    async (request) => {
      const channel = channelOf(request.params.channel);
      const index = await readGenerationIndex({ store: app.store, channelPrefix: `${channel}/` });
      if (index.generations.length === 0)
        throw new ApiError(ApiErrorCode.NotFound, `channel ${channel} has no metadata generation yet`);
      return { channel, generations: generationViews(channel, index) };
    },
  );

  app.post<{ Params: { channel: string }; Body: { generation: number } }>(
    '/:channel/rollback',
    { schema: rollbackSchema },
    async (request) => {
      const channel = channelOf(request.params.channel);
      const generation = request.body.generation;
      const logger = request.log.child({ component: 'rollback', channel });
      const outcome = await lock.hold(channel, async () => {
        try {
          return await rollbackToGeneration(
            { store: app.store, channelPrefix: `${channel}/`, logger },
            { generation, now: Date.now(), tempDir: join(tmpdir(), 'condasync-rollback') },
          );
        } catch (error) {
          throw asApiError(error);
        }
      });
      if (outcome.busy !== null)
        throw new ApiError(
          ApiErrorCode.Conflict,
          `channel ${channel} is held by ${outcome.busy.kind} ${outcome.busy.id}; roll back once it ended`,
        );
      request.log.info({ channel, from: generation, generation: outcome.value.generation }, 'rolled back');
      // APIs cache channel metadata in memory: tell them all (this one too) that it changed. Without
      // Redis they see it at their next revalidation, a few seconds later; the rollback stands.
      await announcePublished(app.redis, app.queues.plan.opts.prefix, { channel }).catch((error: unknown) =>
        request.log.warn({ err: (error as Error).message }, 'could not announce the rollback to the APIs'),
      );
      return { channel, ...outcome.value };
    },
  );
}

function channelOf(channel: string): string {
  if (!CHANNEL.test(channel)) throw new ApiError(ApiErrorCode.NotFound, `"${channel}" is not a channel name`);
  return channel;
}

function generationViews(channel: string, index: GenerationIndex) {
  return retainedGenerations(index, Date.now()).map((g) => ({ ...g, url: `/conda/${channel}@${g.n}/` }));
}

function asApiError(error: unknown): unknown {
  if (!(error instanceof MirrorError)) return error;
  if (error.code === MirrorErrorCode.GenerationUnknown)
    return new ApiError(ApiErrorCode.NotFound, error.message, { cause: error });
  if (error.code === MirrorErrorCode.GenerationIncomplete)
    return new ApiError(ApiErrorCode.Conflict, error.message, { cause: error, details: error.details });
  return error;
}
