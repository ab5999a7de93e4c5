import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ApiErrorCode } from '../../errors.ts';
import { type ChannelFilePath, channelFilePolicy } from './file-policy.ts';
import { pinsGeneration, serveGenerationFile } from './generation.ts';
import { channelLevelFileSchema, shardFileSchema, subdirFileSchema } from './schemas.ts';
import { serveChannelFile } from './serve-file.ts';
import { DEFAULT_STORAGE_READ_DEADLINE_MS } from './storage-deadline.ts';

export interface CondaRoutesOptions {
  /** Longest wait for the object store to answer one read; then 503. Default 10 s. */
  storageReadDeadlineMs?: number | undefined;
}

/** Channel serving: `/conda/<channel>/…` straight from the object store (docs/design.md §4). */
export default async function condaRoutes(app: FastifyInstance, options: CondaRoutesOptions): Promise<void> {
  const maxAge = app.apiConfig.repodataMaxAge;
  const deps = {
    store: app.store,
    servedBytes: app.metrics.servedBytes,
    storageReadDeadlineMs: options.storageReadDeadlineMs ?? DEFAULT_STORAGE_READ_DEADLINE_MS,
  };

  const handler = (inShardsFolder: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const params = request.params as Omit<ChannelFilePath, 'inShardsFolder'>;
    if (pinsGeneration(params.channel))
      return serveGenerationFile(
        request,
        reply,
        { ...params, inShardsFolder },
        { ...deps, repodataMaxAge: maxAge },
      );
    const policy = channelFilePolicy({ ...params, inShardsFolder }, maxAge);
    if (policy === null) throw new ApiError(ApiErrorCode.NotFound, 'no such file in this channel');
    return serveChannelFile(request, reply, policy, deps);
  };

  const common = {
    method: ['GET', 'HEAD'] as Array<'GET' | 'HEAD'>,
    // HEAD is answered from the object's info alone, never by a GET whose body is thrown away.
    exposeHeadRoute: false,
    onRequest: app.requireChannelToken,
  };
  app.route({
    ...common,
    url: '/conda/:channel/:file',
    schema: channelLevelFileSchema,
    handler: handler(false),
  });
  app.route({
    ...common,
    url: '/conda/:channel/:subdir/:file',
    schema: subdirFileSchema,
    handler: handler(false),
  });
  app.route({
    ...common,
    url: '/conda/:channel/:subdir/shards/:file',
    schema: shardFileSchema,
    handler: handler(true),
  });
}
