import { redactUrl } from '@condasync/mirror';
import { CleanupLifecycle, QueueError } from '@condasync/queue';
import type { FastifyInstance } from 'fastify';
import { ApiError, ApiErrorCode } from '../../errors.ts';
import type { HostResolver } from '../../upstream-policy.ts';
import { submittedConfig, takeConfigText } from '../submitted-config.ts';
import { notReady } from '../syncs/index.ts';
import { SYNC_BODY_LIMIT } from '../syncs/schemas.ts';
import { createCleanupSchema, getCleanupSchema } from './schemas.ts';

export interface CleanupRoutesOptions {
  resolveHost: HostResolver;
}

/** `/v1/cleanups`: submit a cleanup of a channel (the clean step, as `condasync clean`) and read its report. */
export default async function cleanupRoutes(
  app: FastifyInstance,
  options: CleanupRoutesOptions,
): Promise<void> {
  const lifecycle = new CleanupLifecycle(app.cleanupRegistry, app.syncRegistry, app.queues.clean);
  app.addHook('onRequest', app.requireApiToken);
  takeConfigText(app);

  app.post<{ Querystring: { dry_run?: boolean } }>(
    '/',
    { schema: createCleanupSchema, bodyLimit: SYNC_BODY_LIMIT, validatorCompiler: cleanupValidator },
    async (request, reply) => {
      const dryRun = dryRunOf(request.query as Record<string, unknown>);
      const text = typeof request.body === 'string' ? request.body : '';
      const config = await submittedConfig(app, text, options.resolveHost);
      let id: string;
      try {
        id = await lifecycle.submit({ destChannel: config.dest_channel, config, dryRun });
      } catch (error) {
        if (!(error instanceof QueueError)) throw error;
        throw notReady('cannot queue the cleanup', error);
      }
      request.log.info(
        { cleanup: id, destChannel: config.dest_channel, dryRun, channels: config.channels.map(redactUrl) },
        'cleanup queued',
      );
      const location = `/v1/cleanups/${id}`;
      return reply.code(202).header('location', location).send({ id, status: 'queued', location });
    },
  );

  app.get<{ Params: { id: string } }>('/:id', { schema: getCleanupSchema }, async (request) => {
    const view = await app.cleanupRegistry.get(request.params.id);
    if (view === null) throw new ApiError(ApiErrorCode.NotFound, `no cleanup with id ${request.params.id}`);
    return view;
  });
}

// The body is checked by submittedConfig (every problem with its key path) and the query by
// dryRunOf; the schemas are documentation, as for POST /v1/syncs.
const cleanupValidator = () => () => true;

/** `dry_run`: absent, `true` or `false`; anything else (or another parameter) is refused by name. */
function dryRunOf(query: Record<string, unknown>): boolean {
  for (const key of Object.keys(query)) {
    if (key !== 'dry_run')
      throw new ApiError(
        ApiErrorCode.InvalidRequest,
        `unknown query parameter "${key}"; only dry_run is accepted`,
      );
  }
  const value = query['dry_run'];
  if (value === undefined || value === 'false' || value === false) return false;
  if (value === 'true' || value === true || value === '') return true;
  throw new ApiError(ApiErrorCode.InvalidRequest, `dry_run must be true or false, got "${String(value)}"`);
}
