import { createHash } from 'node:crypto';
import { redactUrl } from '@condasync/mirror';
import { QueueError, QueueErrorCode, SyncLifecycle, TERMINAL_STATUSES } from '@condasync/queue';
import type { FastifyInstance } from 'fastify';
import { ApiError, ApiErrorCode } from '../../errors.ts';
import type { HostResolver } from '../../upstream-policy.ts';
import { submittedConfig, takeConfigText } from '../submitted-config.ts';
import {
  cancelSyncSchema,
  createSyncSchema,
  getSyncSchema,
  listSyncsSchema,
  SYNC_BODY_LIMIT,
} from './schemas.ts';

export interface SyncRoutesOptions {
  resolveHost: HostResolver;
}

/** `Idempotency-Key`: absent, or 1 to 255 printable ASCII characters (a UUID, say). */
function idempotencyKeyOf(header: string | string[] | undefined): string | null {
  if (header === undefined) return null;
  const key = Array.isArray(header) ? header.join(',') : header;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new ApiError(
      ApiErrorCode.InvalidRequest,
      'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces (e.g. a UUID)',
    );
  }
  return key;
}

/** `?reset=true|false`: the route's validator is off (see the POST route), so it is checked here. */
function resetOf(query: unknown): boolean {
  const value = (query as { reset?: unknown } | undefined)?.reset;
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new ApiError(ApiErrorCode.InvalidRequest, `reset must be true or false, got '${String(value)}'`);
}

export function notReady(what: string, cause: unknown): ApiError {
  return new ApiError(ApiErrorCode.NotReady, `${what}: Redis is unavailable; retry later`, { cause });
}

interface IdParams {
  id: string;
}

/** `/v1/syncs`: submit, inspect, list and cancel syncs. */
export default async function syncRoutes(app: FastifyInstance, options: SyncRoutesOptions): Promise<void> {
  const registry = app.syncRegistry;
  const lifecycle = new SyncLifecycle(registry, app.queues);
  app.addHook('onRequest', app.requireApiToken);

  takeConfigText(app);

  app.post(
    '/',
    {
      schema: createSyncSchema,
      bodyLimit: SYNC_BODY_LIMIT,
      // The body schema is documentation: parseSyncConfig validates with the same schema and
      // reports every problem with its key path, which Ajv's first-error answer would not.
      validatorCompiler: () => () => true,
    },
    async (request, reply) => {
      const text = typeof request.body === 'string' ? request.body : '';
      const config = await submittedConfig(app, text, options.resolveHost);

      const idempotencyKey = idempotencyKeyOf(request.headers['idempotency-key']);
      const reset = resetOf(request.query);
      const input = { destChannel: config.dest_channel, config, reset };
      let id: string;
      let replayed = false;
      try {
        if (idempotencyKey === null) id = await lifecycle.submit(input);
        else {
          const fingerprint = createHash('sha256')
            .update(reset ? `reset\n${text}` : text)
            .digest('hex');
          ({ id, replayed } = await lifecycle.submitOnce(input, { key: idempotencyKey, fingerprint }));
        }
      } catch (error) {
        if (!(error instanceof QueueError)) throw error;
        if (error.code === QueueErrorCode.IdempotencyConflict) {
          throw new ApiError(ApiErrorCode.Conflict, error.message, { cause: error });
        }
        const what =
          error.code === QueueErrorCode.SyncNotRecorded ? 'cannot record the sync' : 'cannot queue the sync';
        throw notReady(what, error);
      }
      const location = `/v1/syncs/${id}`;
      if (replayed) {
        // A retry of a submission that ran: the same answer, and nothing runs twice.
        return reply
          .code(202)
          .header('location', location)
          .header('idempotent-replayed', 'true')
          .send({ id, status: 'queued', location });
      }
      app.metrics.syncsSubmitted.inc();
      request.log.info(
        { sync: id, destChannel: config.dest_channel, channels: config.channels.map(redactUrl), reset },
        'sync queued',
      );
      return reply.code(202).header('location', location).send({ id, status: 'queued', location });
    },
  );

  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    '/',
    { schema: listSyncsSchema },
    async (request) => {
      const { limit = 20, cursor } = request.query;
      return registry.list(cursor === undefined ? { limit } : { limit, cursor });
    },
  );

  app.get<{ Params: IdParams }>('/:id', { schema: getSyncSchema }, async (request) => {
    const view = await registry.get(request.params.id);
    if (view === null) throw new ApiError(ApiErrorCode.NotFound, `no sync with id ${request.params.id}`);
    return view;
  });

  app.delete<{ Params: IdParams }>('/:id', { schema: cancelSyncSchema }, async (request, reply) => {
    const { id } = request.params;
    const view = await registry.get(id);
    if (view === null) throw new ApiError(ApiErrorCode.NotFound, `no sync with id ${id}`);
    const ended = (status: string) =>
      new ApiError(
        ApiErrorCode.Conflict,
        `sync ${id} already ended with status ${status}; nothing to cancel`,
      );
    if (TERMINAL_STATUSES.has(view.status)) throw ended(view.status);
    const { cancelled, removedJobs } = await lifecycle.cancel(id);
    if (!cancelled) throw ended((await registry.status(id)) ?? 'unknown');
    request.log.info({ sync: id, removedJobs }, 'sync cancelled');
    return reply.code(202).send(await registry.get(id));
  });
}
