import fp from 'fastify-plugin';
import { ApiErrorCode, toHttpError } from '../errors.ts';

/** One error shape for every route: `{ error: { code, message, details? } }` (errors.ts maps). */
export default fp(
  async (app) => {
    app.setErrorHandler(async (error, request, reply) => {
      const answer = toHttpError(error, request.id);
      if (answer.serverFault) request.log.error({ err: error }, 'request failed');
      // Absent files are routine for channels (clients probe .zst, .bz2, shards): not worth a line.
      else if (answer.status === 404) request.log.debug({ code: answer.body.error.code }, 'not found');
      else request.log.info({ code: answer.body.error.code, status: answer.status }, 'request refused');
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    });
    // Fastify's default 404 handler logs the URL as received; a token URL must never reach a log.
    app.setNotFoundHandler(async (_request, reply) =>
      reply.code(404).send({ error: { code: ApiErrorCode.NotFound, message: 'no such route or file' } }),
    );
  },
  { name: 'condasync-error-handler', fastify: '5.x' },
);
