import type { BundleImportResult } from '@condasync/mirror';
import { bundleKeyProblem, IMPORT_JOB_OPTIONS, type ImportJobData, newImportId } from '@condasync/queue';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApiError, ApiErrorCode } from '../../errors.ts';
import {
  createImportSchema,
  getImportSchema,
  type ImportRequestSchema,
  type ImportViewSchema,
} from './schemas.ts';

type ImportView = Static<typeof ImportViewSchema>;
type ImportRequest = Static<typeof ImportRequestSchema>;

/**
 * `/v1/imports`: publish a bundle that is already in the object store into a channel, on a worker
 * (`condasync import` for bundles that were uploaded rather than carried to a machine).
 */
export default async function importRoutes(app: FastifyInstance): Promise<void> {
  const queue = app.queues.import;
  app.addHook('onRequest', app.requireApiToken);

  app.post<{ Body: ImportRequest }>('/', { schema: createImportSchema }, async (request, reply) => {
    const { bundle, dest_channel: destChannel } = request.body;
    const problem = bundleKeyProblem(bundle);
    if (problem !== null) throw new ApiError(ApiErrorCode.InvalidRequest, problem);
    // Refused here rather than on the worker: a typo in the key is the common mistake.
    const info = await app.store.head(bundle).catch((error: unknown) => {
      throw new ApiError(
        ApiErrorCode.NotReady,
        `cannot read the store to find bundle '${bundle}'; retry later`,
        {
          cause: error,
        },
      );
    });
    if (info === null) throw new ApiError(ApiErrorCode.InvalidRequest, `no bundle '${bundle}' in the store`);
    const id = newImportId();
    const data: ImportJobData = { destChannel, bundleKey: bundle };
    try {
      await queue.add('import', data, { ...IMPORT_JOB_OPTIONS, jobId: id });
    } catch (error) {
      throw new ApiError(
        ApiErrorCode.NotReady,
        'cannot queue the import: Redis is unavailable; retry later',
        {
          cause: error,
        },
      );
    }
    request.log.info({ import: id, destChannel, bundle, bytes: info.size }, 'import queued');
    const location = `/v1/imports/${id}`;
    return reply.code(202).header('location', location).send({ id, status: 'queued', location });
  });

  app.get<{ Params: { id: string } }>('/:id', { schema: getImportSchema }, async (request) => {
    const { id } = request.params;
    const job = await queue.getJob(id);
    if (job === undefined) throw new ApiError(ApiErrorCode.NotFound, `no import with id ${id}`);
    const state = await job.getState();
    const view: ImportView = {
      id,
      status: 'queued',
      destChannel: job.data.destChannel,
      bundle: job.data.bundleKey,
      createdAt: new Date(job.timestamp).toISOString(),
    };
    if (job.finishedOn !== undefined) view.finishedAt = new Date(job.finishedOn).toISOString();
    if (state === 'active') view.status = 'running';
    else if (state === 'delayed' && job.attemptsStarted > 0) view.status = 'waiting';
    else if (state === 'completed') {
      view.status = 'succeeded';
      view.report = job.returnvalue as BundleImportResult;
    } else if (state === 'failed') {
      view.status = 'failed';
      view.error = job.failedReason;
    }
    return view;
  });
}
