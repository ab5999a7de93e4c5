import { closeRedis, createRedisConnection, RedisOutageReporter } from '@condasync/queue';
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
  },
  { name: 'condasync-redis', fastify: '5.x' },
);
