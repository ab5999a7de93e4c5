import { once } from 'node:events';
import { closeRedis, createRedisConnection, RedisOutageReporter, settlesWithin } from '@condasync/queue';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { ApiConfig } from '../config.ts';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
    /** Says once per retry interval that Redis is unreachable (queue errors report here too). */
    redisOutage: RedisOutageReporter;
  }
}

export interface RedisPluginOptions {
  config: ApiConfig;
  /** Given connection: the caller owns it and closes it. */
  redis?: Redis | undefined;
}

/** How long start-up waits for the first connection to Redis. */
const STARTUP_WAIT_MS = 5000;

/** A QUIT that Redis does not answer within this is given up for a plain disconnect. */
const QUIT_TIMEOUT_MS = 1000;

export default fp<RedisPluginOptions>(
  async (app, options) => {
    const redis =
      options.redis ??
      createRedisConnection(options.config.redisUrl, { name: 'condasync-api', failFast: true });
    const outage = new RedisOutageReporter(options.config.redisUrl, (line, state) =>
      state === 'down' ? app.log.warn(line) : app.log.info(line),
    );
    app.decorate('redis', redis);
    app.decorate('redisOutage', outage);
    if (options.redis !== undefined) return;
    // ioredis reconnects by itself; without a listener every failed attempt's stack goes to stderr.
    outage.watch(redis);
    app.addHook('onClose', async () => closeRedis(redis, QUIT_TIMEOUT_MS));
    // The connection fails fast (no offline queue), so a request that came while it is still being
    // made at start-up would be refused: wait for it a moment. A Redis that is down at start does
    // not stop the API; /readyz says so and /v1 answers 503 until it is back.
    await settlesWithin(once(redis, 'ready'), STARTUP_WAIT_MS);
  },
  { name: 'condasync-redis', fastify: '5.x' },
);
