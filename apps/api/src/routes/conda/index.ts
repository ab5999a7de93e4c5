import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { ApiError, ApiErrorCode } from '../../errors.ts';
import { createChannelServing } from './channel-serving.ts';
import { type ChannelFilePath, channelFilePolicy } from './file-policy.ts';
import { pinsGeneration, serveGenerationFile } from './generation.ts';
import { channelLevelFileSchema, shardFileSchema, subdirFileSchema } from './schemas.ts';
import { DEFAULT_STORAGE_READ_DEADLINE_MS } from './storage-deadline.ts';

export interface CondaRoutesOptions {
  /** Longest wait for the object store to answer one read; then 503. Default 10 s. */
  storageReadDeadlineMs?: number | undefined;
  /** Namespace of the publish notices that refresh cached metadata (the queue prefix). */
  queuePrefix?: string | null | undefined;
}

/** The level of channel requests' own log lines: at least warn, unless debugging. */
function quietRequestLevel(level: string): NonNullable<RouteOptions['logLevel']> {
  return level === 'debug' || level === 'trace' ? level : 'warn';
}

/** Channel serving: `/conda/<channel>/…` from the object store, metadata cached (docs/design.md §4). */
export default async function condaRoutes(app: FastifyInstance, options: CondaRoutesOptions): Promise<void> {
  const maxAge = app.apiConfig.repodataMaxAge;
  // Generations (`<channel>@<n>`) are read from the store as they are: they never change.
  const { serve, deps } = createChannelServing(app, {
    storageReadDeadlineMs: options.storageReadDeadlineMs ?? DEFAULT_STORAGE_READ_DEADLINE_MS,
    queuePrefix: options.queuePrefix,
  });

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
    return serve(request, reply, policy);
  };

  const common = {
    method: ['GET', 'HEAD'] as Array<'GET' | 'HEAD'>,
    // Fastify's two lines per request (incoming, completed) cost more than the answer itself
    // once metadata comes from memory; channel traffic is counted by condasync_served_requests_total,
    // and failures are still logged. CONDASYNC_LOG_LEVEL=debug brings the lines back.
    logLevel: quietRequestLevel(app.log.level),
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
