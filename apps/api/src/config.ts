import {
  CHANNEL_TOKEN_RULE,
  EnvReader,
  type EnvSource,
  type LogLevelName,
  redactUrlCredentials,
} from '@condasync/env';
import { redactUrl } from '@condasync/mirror';
import { redactRedisUrl, redisUrlProblem } from '@condasync/queue';
import type { StoreSettings } from '@condasync/storage';

export type ApiLogLevel = LogLevelName;

/** Everything the API process takes from its environment, validated and frozen. */
export interface ApiConfig {
  readonly port: number;
  readonly host: string;
  readonly redisUrl: string;
  /** CONDASYNC_STORAGE_URL (`file:///path` or `s3://bucket/prefix`), S3 endpoint and region. */
  readonly store: StoreSettings;
  /** Bearer tokens for /v1 and /admin; empty means open (a warning is logged at start). */
  readonly apiTokens: readonly string[];
  /** Tokens for /conda/…; empty means channels are public. */
  readonly channelTokens: readonly string[];
  /** URL prefixes a sync's upstreams must start with; empty means "public https hosts only". */
  readonly upstreamAllow: readonly string[];
  /** `max-age` of repodata, the shard index and channeldata.json, in seconds. */
  readonly repodataMaxAge: number;
  readonly logLevel: ApiLogLevel;
  /**
   * Namespace of the BullMQ keys and the sync registry in Redis (CONDASYNC_QUEUE_PREFIX); null for
   * the defaults. The workers must use the same one.
   */
  readonly queuePrefix: string | null;
  /** CONDASYNC_SECRET_KEY: seals stored sync configs; without it, configs with credentials are refused. */
  readonly secretKey: string | null;
  /** How channel metadata is kept in memory (routes/conda/metadata-cache.ts). */
  readonly metadataCache: MetadataCacheSettings;
  /** How package files are kept in memory (a second metadata-cache.ts instance; stream delivery only). */
  readonly packageCache: PackageCacheSettings;
  /** How package files reach clients: streamed through the API, or a redirect to a presigned S3 URL. */
  readonly packageDelivery: PackageDelivery;
}

export interface MetadataCacheSettings {
  /** CONDASYNC_METADATA_CACHE_BYTES: memory for cached metadata files; 0 turns the cache off. */
  readonly maxBytes: number;
  /** CONDASYNC_METADATA_REVALIDATE_SECONDS: a cached file is checked against the store at most this often. */
  readonly revalidateSeconds: number;
}

export interface PackageCacheSettings {
  /** CONDASYNC_PACKAGE_CACHE_BYTES: memory for cached package files; 0 turns the cache off. */
  readonly maxBytes: number;
  /** CONDASYNC_PACKAGE_CACHE_MAX_FILE_BYTES: larger packages are streamed from the store. */
  readonly maxFileBytes: number;
}

export const PACKAGE_DELIVERIES = ['stream', 'redirect'] as const;
export type PackageDelivery = (typeof PACKAGE_DELIVERIES)[number];

/** 256 MiB: every hot subdir's repodata.json.zst, shard index and shards of a large mirror. */
export const DEFAULT_METADATA_CACHE_BYTES = 256 * 1024 * 1024;
/** 256 MiB: the hot packages of a mirror (most conda packages are well under a MiB). */
export const DEFAULT_PACKAGE_CACHE_BYTES = 256 * 1024 * 1024;
/** 8 MiB: small packages are where per-request store round trips dominate; large ones stream well. */
export const DEFAULT_PACKAGE_CACHE_MAX_FILE_BYTES = 8 * 1024 * 1024;
/** Well under the 60 s max-age clients cache repodata for, so a missed publish notice costs little. */
export const DEFAULT_METADATA_REVALIDATE_SECONDS = 5;

/** Shorter tokens are guessable; a deployment that sets tokens at all wants real ones. */
const API_TOKENS = { pattern: /^[\x21-\x7e]+$/, what: 'printable ASCII without spaces', minLength: 16 };
const MAX_AGE_LIMIT = 31_536_000;

/**
 * Reads the API's environment: the only place that does. Throws one EnvError that lists every
 * problem, each under the variable's name. Secret values are never echoed.
 */
export function loadApiConfig(env: EnvSource = process.env): ApiConfig {
  const read = new EnvReader(env);
  const port = read.port('PORT', 8080);
  const host = read.text('HOST') ?? '0.0.0.0';
  const redisUrl = read.redisUrl({ required: true, problem: redisUrlProblem }) ?? '';
  const store = read.store({ required: true }) ?? { url: '', s3Endpoint: null, s3Region: null };
  const apiTokens = read.tokens('CONDASYNC_API_TOKENS', API_TOKENS);
  const channelTokens = read.tokens('CONDASYNC_CHANNEL_TOKENS', CHANNEL_TOKEN_RULE);
  const upstreamAllow = read.list('CONDASYNC_UPSTREAM_ALLOW');
  for (const prefix of upstreamAllow) {
    if (!/^(https?:\/\/[^/]|file:\/\/\/)/.test(prefix) || !URL.canParse(prefix)) {
      read.report(
        'CONDASYNC_UPSTREAM_ALLOW',
        `'${redactUrl(prefix)}' is not an https://, http:// or file:/// URL prefix (e.g. https://conda.anaconda.org/)`,
      );
    }
  }
  const repodataMaxAge = read.integer('CONDASYNC_REPODATA_MAX_AGE', 60, 0, MAX_AGE_LIMIT);
  const logLevel = read.logLevel();
  const queuePrefix = read.queuePrefix();
  const secretKey = read.secretKey();
  const metadataCache = Object.freeze({
    maxBytes: read.integer(
      'CONDASYNC_METADATA_CACHE_BYTES',
      DEFAULT_METADATA_CACHE_BYTES,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    revalidateSeconds: read.integer(
      'CONDASYNC_METADATA_REVALIDATE_SECONDS',
      DEFAULT_METADATA_REVALIDATE_SECONDS,
      0,
      3600,
    ),
  });
  const packageCache = Object.freeze({
    maxBytes: read.integer(
      'CONDASYNC_PACKAGE_CACHE_BYTES',
      DEFAULT_PACKAGE_CACHE_BYTES,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    maxFileBytes: read.integer(
      'CONDASYNC_PACKAGE_CACHE_MAX_FILE_BYTES',
      DEFAULT_PACKAGE_CACHE_MAX_FILE_BYTES,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
  });
  const packageDelivery = read.oneOf('CONDASYNC_PACKAGE_DELIVERY', PACKAGE_DELIVERIES, 'stream');
  if (packageDelivery === 'redirect' && store.url.startsWith('file:')) {
    read.report(
      'CONDASYNC_PACKAGE_DELIVERY',
      `'redirect' needs an s3:// storage URL (CONDASYNC_STORAGE_URL is a folder); use 'stream'`,
    );
  }
  read.finish();

  const config: ApiConfig = {
    port,
    host,
    redisUrl,
    store: Object.freeze(store),
    apiTokens: Object.freeze(apiTokens),
    channelTokens: Object.freeze(channelTokens),
    upstreamAllow: Object.freeze(upstreamAllow),
    repodataMaxAge,
    logLevel,
    queuePrefix,
    secretKey,
    metadataCache,
    packageCache,
    packageDelivery,
  };
  // Anything that logs or serialises the config (pino, JSON.stringify) sees the redacted form.
  Object.defineProperty(config, 'toJSON', { value: () => redactApiConfig(config), enumerable: false });
  return Object.freeze(config);
}

export function redactApiConfig(config: ApiConfig): Record<string, unknown> {
  return {
    port: config.port,
    host: config.host,
    redisUrl: redactRedisUrl(config.redisUrl),
    storageUrl: config.store.url,
    s3Endpoint: config.store.s3Endpoint === null ? null : redactUrlCredentials(config.store.s3Endpoint),
    s3Region: config.store.s3Region,
    apiTokens: `${config.apiTokens.length} configured`,
    channelTokens: `${config.channelTokens.length} configured`,
    upstreamAllow: config.upstreamAllow.map(redactUrl),
    repodataMaxAge: config.repodataMaxAge,
    logLevel: config.logLevel,
    queuePrefix: config.queuePrefix,
    secretKey: config.secretKey === null ? null : 'configured',
    metadataCache: config.metadataCache,
    packageCache: config.packageCache,
    packageDelivery: config.packageDelivery,
  };
}
