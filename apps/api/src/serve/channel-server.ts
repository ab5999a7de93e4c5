import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { CHANNEL_ROUTER_OPTIONS } from '../app.ts';
import {
  type ApiConfig,
  DEFAULT_METADATA_CACHE_BYTES,
  DEFAULT_PACKAGE_CACHE_BYTES,
  DEFAULT_PACKAGE_CACHE_MAX_FILE_BYTES,
} from '../config.ts';
import { type LoggerChoice, type LogStream, loggerOptions } from '../logging.ts';
import authPlugin from '../plugins/auth.ts';
import errorHandlerPlugin from '../plugins/error-handler.ts';
import metricsPlugin from '../plugins/metrics.ts';
import storePlugin from '../plugins/store.ts';
import condaRoutes from '../routes/conda/index.ts';
import { rewriteTokenUrl } from '../routes/conda/token-url.ts';
import downloadsRoutes from '../routes/downloads/index.ts';
import { logAccess } from './access-log.ts';
import { ChannelFoldersStore } from './channel-folders-store.ts';

export interface ChannelServerOptions {
  /** Channel name → folder holding that channel at its root (a sync's mirror_dir). */
  channels: ReadonlyMap<string, string>;
  /** Tokens for `/t/<token>/conda/…` or a bearer token; empty: the channels are public. */
  channelTokens?: readonly string[];
  /** `max-age` of repodata and the shard index, in seconds. Default 60, as the API. */
  repodataMaxAge?: number;
  /** The server's own log (errors, start-up). Default: info on stdout. */
  logger?: LoggerChoice;
  /** Where to write one access-log line per request; none by default. */
  accessLog?: LogStream;
  /** Memory for cached metadata, in bytes; 0 turns the cache off. Default as the API's. */
  metadataCacheBytes?: number;
  /**
   * Seconds a cached metadata file is served before the folder is checked again (a stat and
   * the sidecar read: cheap). Default 1: a local publish shows within a second.
   */
  metadataRevalidateSeconds?: number;
  /** Memory for cached package files, in bytes; 0 turns that cache off. Default as the API's. */
  packageCacheBytes?: number;
  /** Packages larger than this are streamed from the folder. Default as the API's. */
  packageCacheMaxFileBytes?: number;
}

/**
 * The API's channel serving alone, over channel folders, with no Redis and no /v1: what
 * `condasync serve` runs. The routes, token handling, caching headers and error shapes are the
 * API's own (routes/conda), so a folder answers exactly as the API would answer for its storage.
 */
export function buildChannelServer(options: ChannelServerOptions): FastifyInstance {
  const config: ApiConfig = Object.freeze({
    port: 0,
    host: '',
    redisUrl: '',
    store: Object.freeze({ url: '', s3Endpoint: null, s3Region: null }),
    apiTokens: Object.freeze([]),
    channelTokens: Object.freeze([...(options.channelTokens ?? [])]),
    upstreamAllow: Object.freeze([]),
    repodataMaxAge: options.repodataMaxAge ?? 60,
    logLevel: 'info',
    queuePrefix: null,
    secretKey: null,
    metadataCache: Object.freeze({
      maxBytes: options.metadataCacheBytes ?? DEFAULT_METADATA_CACHE_BYTES,
      revalidateSeconds: options.metadataRevalidateSeconds ?? 1,
    }),
    packageCache: Object.freeze({
      maxBytes: options.packageCacheBytes ?? DEFAULT_PACKAGE_CACHE_BYTES,
      maxFileBytes: options.packageCacheMaxFileBytes ?? DEFAULT_PACKAGE_CACHE_MAX_FILE_BYTES,
    }),
    packageDelivery: 'stream',
  });
  const app = Fastify({
    logger: loggerOptions(options.logger, config.logLevel),
    rewriteUrl: rewriteTokenUrl,
    // Fastify's own request lines would double the access log; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: CHANNEL_ROUTER_OPTIONS,
  }) as unknown as FastifyInstance;
  app.decorate('apiConfig', config);
  if (options.accessLog !== undefined) logAccess(app, options.accessLog);
  app.register(errorHandlerPlugin);
  app.register(metricsPlugin);
  app.register(authPlugin, { config, servesApi: false });
  app.register(storePlugin, { config, store: () => new ChannelFoldersStore(options.channels) });
  app.register(condaRoutes);
  // A mirror folder's installers (fetch_installers) sit in its downloads/; the first folder's are served.
  const [first] = options.channels.keys();
  if (first !== undefined) app.register(downloadsRoutes, { keyPrefix: `${first}/` });
  return app;
}
