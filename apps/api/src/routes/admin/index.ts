import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toHttpError } from '../../errors.ts';
import { bearerToken, unauthorized } from '../../plugins/auth.ts';

export const ADMIN_BASE_PATH = '/admin/queues';
export const ADMIN_COOKIE = 'condasync_admin';
const COOKIE = ADMIN_COOKIE;

export function cookieToken(request: FastifyRequest): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) {
      try {
        return decodeURIComponent(value.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * `/admin/queues`: the bull-board dashboard of the plan, package and finalize queues, behind the
 * API tokens. Scripts send `Authorization: Bearer`. A browser opens `/admin/queues?token=<token>`
 * once: the token moves into an HttpOnly, SameSite=Strict cookie scoped to the dashboard and the
 * browser is redirected to the URL without it (the request log redacts `token=`).
 */
export default async function adminRoutes(app: FastifyInstance): Promise<void> {
  const adapter = new FastifyAdapter();
  adapter.setBasePath(ADMIN_BASE_PATH);
  createBullBoard({
    queues: [app.queues.plan, app.queues.package, app.queues.finalize].map(
      (queue) => new BullMQAdapter(queue),
    ),
    serverAdapter: adapter,
  });

  const authorize = async (request: FastifyRequest, reply: FastifyReply) => {
    if (app.apiConfig.apiTokens.length === 0) return;
    const url = new URL(request.url, 'http://placeholder');
    const queryToken = url.searchParams.get('token');
    if (queryToken !== null) {
      if (!app.isApiToken(queryToken)) throw unauthorized('the token is not valid');
      url.searchParams.delete('token');
      const secure = request.protocol === 'https' ? '; Secure' : '';
      reply.header(
        'set-cookie',
        `${COOKIE}=${encodeURIComponent(queryToken)}; Path=${ADMIN_BASE_PATH}; HttpOnly; SameSite=Strict${secure}`,
      );
      return reply.redirect(`${url.pathname}${url.search}`, 303);
    }
    const token = bearerToken(request) ?? cookieToken(request);
    if (token === undefined) {
      throw unauthorized(
        `send Authorization: Bearer <token>, or open ${ADMIN_BASE_PATH}?token=<token> in a browser`,
      );
    }
    if (!app.isApiToken(token)) throw unauthorized('the token is not valid');
  };
  app.addHook('onRequest', async (request, reply) => {
    try {
      return await authorize(request, reply);
    } catch (error) {
      // Answered here: bull-board installs its own error handler for its routes, with another body.
      const answer = toHttpError(error, request.id);
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    }
  });

  await app.register(adapter.registerPlugin(), { prefix: ADMIN_BASE_PATH });
}
