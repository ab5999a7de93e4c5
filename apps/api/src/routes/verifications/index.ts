import type { VerifyReport } from '@condasync/mirror';
import {
  ConfigSeal,
  newSyncId,
  sealJobConfig,
  VERIFY_JOB_OPTIONS,
  type VerifyJobData,
} from '@condasync/queue';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApiError, ApiErrorCode } from '../../errors.ts';
import type { HostResolver } from '../../upstream-policy.ts';
import { submittedConfig, takeConfigText } from '../submitted-config.ts';
import { SYNC_BODY_LIMIT } from '../syncs/schemas.ts';
import { createVerificationSchema, getVerificationSchema, type VerificationViewSchema } from './schemas.ts';

export interface VerificationRoutesOptions {
  resolveHost: HostResolver;
}

type VerificationView = Static<typeof VerificationViewSchema>;

/** `?repair=true|false`: the POST route's validator is off (the body is parsed by parseSyncConfig). */
function repairOf(query: unknown): boolean {
  const value = (query as { repair?: unknown } | undefined)?.repair;
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new ApiError(ApiErrorCode.InvalidRequest, `repair must be true or false, got '${String(value)}'`);
}

/** `/v1/verifications`: re-hash a mirrored channel's stored packages (and repair them) on a worker. */
export default async function verificationRoutes(
  app: FastifyInstance,
  options: VerificationRoutesOptions,
): Promise<void> {
  const queue = app.queues.verify;
  const seal = app.apiConfig.secretKey === null ? null : new ConfigSeal(app.apiConfig.secretKey);
  app.addHook('onRequest', app.requireApiToken);
  takeConfigText(app);

  app.post(
    '/',
    { schema: createVerificationSchema, bodyLimit: SYNC_BODY_LIMIT, validatorCompiler: () => () => true },
    async (request, reply) => {
      const repair = repairOf(request.query);
      const text = typeof request.body === 'string' ? request.body : '';
      const config = await submittedConfig(app, text, options.resolveHost);
      const id = newSyncId();
      const data: VerifyJobData = {
        destChannel: config.dest_channel,
        config: sealJobConfig(config, seal),
        repair,
      };
      try {
        await queue.add('verify', data, { ...VERIFY_JOB_OPTIONS, jobId: id });
      } catch (error) {
        throw new ApiError(
          ApiErrorCode.NotReady,
          'cannot queue the verification: Redis is unavailable; retry later',
          {
            cause: error,
          },
        );
      }
      request.log.info({ verification: id, destChannel: config.dest_channel, repair }, 'verification queued');
      const location = `/v1/verifications/${id}`;
      return reply.code(202).header('location', location).send({ id, status: 'queued', location });
    },
  );

  app.get<{ Params: { id: string } }>('/:id', { schema: getVerificationSchema }, async (request) => {
    const { id } = request.params;
    const job = await queue.getJob(id);
    if (job === undefined) throw new ApiError(ApiErrorCode.NotFound, `no verification with id ${id}`);
    const state = await job.getState();
    const view: VerificationView = {
      id,
      status: 'queued',
      destChannel: job.data.destChannel,
      repair: job.data.repair,
      createdAt: new Date(job.timestamp).toISOString(),
    };
    if (job.finishedOn !== undefined) view.finishedAt = new Date(job.finishedOn).toISOString();
    if (state === 'active') view.status = 'running';
    else if (state === 'completed') {
      const report = job.returnvalue as VerifyReport;
      view.status = report.status;
      view.report = report;
    } else if (state === 'failed') {
      view.status = 'failed';
      view.error = job.failedReason;
    }
    return view;
  });
}
