import { redactUrl } from '@condasync/mirror';
import {
  ConfigSeal,
  DEFAULT_QUEUE_PREFIX,
  isRedisConnectionError,
  SCHEDULE_ID_PATTERN,
  SCHEDULE_QUEUE_NAME,
  type ScheduleJobData,
  ScheduleStore,
  Schedules,
  scheduleTimingProblems,
  settlesWithin,
  toTiming,
} from '@condasync/queue';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { ApiError, ApiErrorCode, type ErrorDetail } from '../../errors.ts';
import type { HostResolver } from '../../upstream-policy.ts';
import { submittedConfig } from '../submitted-config.ts';
import {
  createScheduleSchema,
  deleteScheduleSchema,
  getScheduleSchema,
  listSchedulesSchema,
} from './schemas.ts';

export interface ScheduleRoutesOptions {
  resolveHost: HostResolver;
  /** The queues' namespace (as the queues plugin and the workers use it). */
  queuePrefix?: string | undefined;
}

interface CreateBody {
  id?: unknown;
  cron?: unknown;
  every?: unknown;
  tz?: unknown;
  config?: unknown;
}

const QUEUE_CLOSE_MS = 2000;

/** Redis down is a 503 to retry, as for syncs; anything else goes to the error handler. */
async function withRedis<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isRedisConnectionError(error as Error)) {
      throw new ApiError(ApiErrorCode.NotReady, `${what}: Redis is unavailable; retry later`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** `/v1/schedules`: periodic syncs (docs/design.md §3), one BullMQ job scheduler each. */
export default async function scheduleRoutes(
  app: FastifyInstance,
  options: ScheduleRoutesOptions,
): Promise<void> {
  const prefix = options.queuePrefix ?? DEFAULT_QUEUE_PREFIX;
  const queue = new Queue<ScheduleJobData>(SCHEDULE_QUEUE_NAME, { connection: app.redis, prefix });
  queue.on('error', (error: Error) => {
    if (isRedisConnectionError(error)) app.redisOutage.error(error);
    else app.log.warn({ queue: queue.name, err: error.message }, 'queue error');
  });
  app.addHook('onClose', async () => {
    await settlesWithin(queue.close(), QUEUE_CLOSE_MS);
  });
  const secretKey = app.apiConfig.secretKey;
  const store = new ScheduleStore(app.redis, {
    prefix,
    seal: secretKey ? new ConfigSeal(secretKey) : null,
  });
  const schedules = new Schedules(store, queue);
  app.addHook('onRequest', app.requireApiToken);

  app.post<{ Body: CreateBody }>(
    '/',
    {
      schema: createScheduleSchema,
      // Checked below, so every problem is reported at once under its field name.
      validatorCompiler: () => () => true,
    },
    async (request, reply) => {
      const body: CreateBody = typeof request.body === 'object' && request.body !== null ? request.body : {};
      const problems: ErrorDetail[] = scheduleTimingProblems(body);
      if (body.id !== undefined && (typeof body.id !== 'string' || !SCHEDULE_ID_PATTERN.test(body.id))) {
        problems.push({
          path: 'id',
          message: `${JSON.stringify(body.id)} is not a schedule id: 1 to 64 letters, digits, '_' or '-'`,
        });
      }
      const configText =
        typeof body.config === 'string'
          ? body.config
          : typeof body.config === 'object' && body.config !== null && !Array.isArray(body.config)
            ? JSON.stringify(body.config)
            : null;
      if (configText === null || configText.trim() === '') {
        problems.push({
          path: 'config',
          message: 'give the sync config, as YAML or JSON text or as an object',
        });
      }
      const unknown = Object.keys(body).filter(
        (key) => !['id', 'cron', 'every', 'tz', 'config'].includes(key),
      );
      for (const key of unknown) {
        problems.push({ path: key, message: 'unknown field; expected id, cron, every, tz and config' });
      }
      if (problems.length > 0) {
        throw new ApiError(ApiErrorCode.InvalidRequest, 'invalid schedule', { details: problems });
      }
      const config = await submittedConfig(app, configText ?? '', options.resolveHost, 'config');
      const id = typeof body.id === 'string' ? body.id : config.dest_channel;
      const existed = (await withRedis('cannot read the schedule', () => store.get(id))) !== null;
      const view = await withRedis('cannot save the schedule', () =>
        schedules.save({ id, destChannel: config.dest_channel, config, timing: toTiming(body) }),
      );
      request.log.info(
        { schedule: id, destChannel: config.dest_channel, channels: config.channels.map(redactUrl) },
        existed ? 'schedule replaced' : 'schedule created',
      );
      return reply
        .code(existed ? 200 : 201)
        .header('location', `/v1/schedules/${id}`)
        .send(view);
    },
  );

  app.get('/', { schema: listSchedulesSchema }, async () => ({
    items: await withRedis('cannot list the schedules', () => schedules.list()),
  }));

  app.get<{ Params: { id: string } }>('/:id', { schema: getScheduleSchema }, async (request) => {
    const view = await withRedis('cannot read the schedule', () => schedules.get(request.params.id));
    if (view === null) throw new ApiError(ApiErrorCode.NotFound, `no schedule with id ${request.params.id}`);
    return view;
  });

  app.delete<{ Params: { id: string } }>('/:id', { schema: deleteScheduleSchema }, async (request, reply) => {
    const { id } = request.params;
    const removed = await withRedis('cannot delete the schedule', () => schedules.remove(id));
    if (!removed) throw new ApiError(ApiErrorCode.NotFound, `no schedule with id ${id}`);
    request.log.info({ schedule: id }, 'schedule deleted');
    return reply.code(204).send();
  });
}
