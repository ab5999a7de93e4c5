import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { ApiConfig } from './config.ts';
import { type LoggerChoice, loggerOptions } from './logging.ts';
import authPlugin from './plugins/auth.ts';
import docsPlugin from './plugins/docs.ts';
import errorHandlerPlugin from './plugins/error-handler.ts';
import metricsPlugin from './plugins/metrics.ts';
import queuesPlugin from './plugins/queues.ts';
import redisPlugin from './plugins/redis.ts';
import storePlugin, { type StoreChoice } from './plugins/store.ts';
import adminRoutes from './routes/admin/index.ts';
import channelRoutes from './routes/channels/index.ts';
import cleanupRoutes from './routes/cleanups/index.ts';
import condaRoutes from './routes/conda/index.ts';
import { rewriteTokenUrl } from './routes/conda/token-url.ts';
import downloadsRoutes from './routes/downloads/index.ts';
import healthRoutes from './routes/health/index.ts';
import importRoutes from './routes/imports/index.ts';
import metricsRoutes from './routes/metrics/index.ts';
import scheduleRoutes from './routes/schedules/index.ts';
import syncRoutes from './routes/syncs/index.ts';
import verificationRoutes from './routes/verifications/index.ts';
import webRoutes from './routes/web/index.ts';
import { resolveWithSystem } from './upstream-policy.ts';

declare module 'fastify' {
  interface FastifyInstance {
    apiConfig: ApiConfig;
  }
}

export interface BuildAppOptions {
  config: ApiConfig;
  /** The object store, or a factory given the storage-metrics hook. Default: opened from the config. */
  store?: StoreChoice;
  /** A Redis connection the caller owns. Default: one opened from the config and closed with the app. */
  redis?: Redis;
  /** Logging: false for none; a level and a stream to capture it. Default: the config's level on stdout. */
  logger?: LoggerChoice;
  /** Namespace of the BullMQ keys and the sync registry; overrides CONDASYNC_QUEUE_PREFIX (tests use a fresh one each). */
  queuePrefix?: string;
  /** Longest wait for the object store to answer one channel read before a 503. Default 10 s. */
  storageReadDeadlineMs?: number;
}

/** Longest URL parameter the router accepts: a 255-character filename, percent-encoded throughout. */
export const MAX_CHANNEL_PARAM_LENGTH = 3 * 255;

/** Router options channel URLs need; the API and `condasync serve` (serve/channel-server.ts) share them. */
export const CHANNEL_ROUTER_OPTIONS = Object.freeze({
  ignoreTrailingSlash: true,
  ignoreDuplicateSlashes: true,
  maxParamLength: MAX_CHANNEL_PARAM_LENGTH,
});

/**
 * Builds the API as a Fastify instance with every plugin and route registered. It never listens:
 * server.ts does that, and tests use `app.inject()`. Close it with `app.close()`.
 */
export function buildApp(options: BuildAppOptions): FastifyInstance {
  const { config } = options;
  const app = Fastify({
    logger: loggerOptions(options.logger, config.logLevel),
    // Token URLs are rewritten before routing, so no route, metric label or log line sees a token.
    rewriteUrl: rewriteTokenUrl,
    // Tolerate the odd `//` and a trailing '/' from hand-written channel URLs. Channel names run
    // to 128 characters and filenames to 255 (routes/conda/file-policy.ts); Fastify's default of
    // 100 answered 414 for them. A parameter is measured as sent, so a percent-encoded filename
    // may take three characters per byte: longer ones cannot name a channel file anyway.
    routerOptions: CHANNEL_ROUTER_OPTIONS,
  }) as unknown as FastifyInstance;

  app.decorate('apiConfig', config);
  app.register(errorHandlerPlugin);
  app.register(metricsPlugin);
  app.register(docsPlugin);
  app.register(authPlugin, { config });
  app.register(storePlugin, { config, store: options.store });
  app.register(redisPlugin, { config, redis: options.redis });
  app.register(queuesPlugin, {
    queuePrefix: options.queuePrefix ?? config.queuePrefix ?? undefined,
    secretKey: config.secretKey,
  });

  app.register(healthRoutes);
  app.register(metricsRoutes);
  app.register(condaRoutes, {
    storageReadDeadlineMs: options.storageReadDeadlineMs,
    queuePrefix: options.queuePrefix ?? config.queuePrefix,
  });
  app.register(downloadsRoutes, { storageReadDeadlineMs: options.storageReadDeadlineMs });
  app.register(syncRoutes, { prefix: '/v1/syncs', resolveHost: resolveWithSystem });
  app.register(cleanupRoutes, { prefix: '/v1/cleanups', resolveHost: resolveWithSystem });
  app.register(channelRoutes, { prefix: '/v1/channels' });
  app.register(verificationRoutes, { prefix: '/v1/verifications', resolveHost: resolveWithSystem });
  app.register(importRoutes, { prefix: '/v1/imports' });
  app.register(scheduleRoutes, {
    prefix: '/v1/schedules',
    resolveHost: resolveWithSystem,
    queuePrefix: options.queuePrefix ?? config.queuePrefix ?? undefined,
  });
  app.register(adminRoutes);
  app.register(webRoutes);
  return app;
}
