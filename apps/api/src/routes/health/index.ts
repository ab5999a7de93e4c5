import { checkRedisPolicy } from '@condasync/queue';
import { probeStore } from '@condasync/storage';
import type { FastifyInstance } from 'fastify';
import { livezSchema, readyzSchema } from './schemas.ts';

/** Each readiness check gets this long; a hung Redis or store must not hang the probe. */
const CHECK_TIMEOUT_MS = 3000;

interface CheckResult {
  ok: boolean;
  problems: string[];
}

async function runCheck(what: string, check: () => Promise<string[]>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string[]>((resolve) => {
    timer = setTimeout(
      () => resolve([`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`]),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    const problems = await Promise.race([check(), timeout]);
    return { ok: problems.length === 0, problems };
  } finally {
    clearTimeout(timer);
  }
}

/** `/livez` and `/readyz` (separate on purpose: a Redis outage must not restart the pod). */
export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  // Probes come every few seconds: say once that the Redis policy cannot be checked.
  let warnedUnverified = false;
  app.get('/livez', { schema: livezSchema }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: readyzSchema }, async (request, reply) => {
    const [redis, store] = await Promise.all([
      runCheck('redis', async () => {
        // A connection that lost Redis would queue the PING until Redis is back: say so at once.
        if (['reconnecting', 'close', 'end'].includes(app.redis.status)) {
          return [`redis: not connected (${app.redis.status})`];
        }
        try {
          await app.redis.ping();
          const policy = await checkRedisPolicy(app.redis);
          if (policy.unverified !== undefined && !warnedUnverified) {
            warnedUnverified = true;
            request.log.warn(policy.unverified);
          }
          return policy.problems;
        } catch (error) {
          // One line, no stack: the connection's own reporter already says Redis is unreachable.
          request.log.warn(`readiness: redis check failed: ${(error as Error).message}`);
          // Connection errors carry a code (their message names the address); server replies do not.
          const { code, message } = error as { code?: string; message: string };
          return [`redis: ${code ?? message}`];
        }
      }),
      runCheck('the object store', async () => {
        try {
          await probeStore(app.store);
          return [];
        } catch (error) {
          // The store's message can name buckets and endpoints: it goes to the log only.
          request.log.warn(
            `readiness: the object store ${app.store.description} did not answer: ${(error as Error).message}`,
          );
          return [`the object store did not answer (${(error as { code?: string }).code ?? 'error'})`];
        }
      }),
    ]);
    const ready = redis.ok && store.ok;
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', checks: { redis, store } });
  });
}
