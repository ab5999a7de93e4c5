import { createRedisConnection } from '@condasync/queue';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { ApiConfig } from '../config.ts';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
  }
}

export interface RedisPluginOptions {
  config: ApiConfig;
  /** Given connection: the caller owns it and closes it. */
  redis?: Redis | undefined;
}

export default fp<RedisPluginOptions>(
  async (app, options) => {
    const redis = options.redis ?? createRedisConnection(options.config.redisUrl, { name: 'condasync-api' });
    app.decorate('redis', redis);
    if (options.redis !== undefined) return;
    // ioredis reconnects by itself; without a listener every failed attempt is printed to stderr.
    redis.on('error', (error: Error) => app.log.warn({ err: error }, 'redis connection error'));
    app.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
  },
  { name: 'condasync-redis', fastify: '5.x' },
);
