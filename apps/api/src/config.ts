import { redactUrl } from '@condasync/mirror';
import { ApiError, ApiErrorCode, type ErrorDetail } from './errors.ts';

/** pino level names accepted by CONDASYNC_LOG_LEVEL. */
export const API_LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type ApiLogLevel = (typeof API_LOG_LEVELS)[number];

/** Everything the API process takes from its environment, validated and frozen. */
export interface ApiConfig {
  readonly port: number;
  readonly host: string;
  readonly redisUrl: string;
  /** `file:///path` or `s3://bucket/prefix`. */
  readonly storageUrl: string;
  readonly s3Endpoint: string | null;
  readonly s3Region: string | null;
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
}

/** conda sends tokens in URLs, so they are limited to what its token regex accepts. */
const CHANNEL_TOKEN_PATTERN = /^[A-Za-z0-9-]+$/;
const API_TOKEN_PATTERN = /^[\x21-\x7e]+$/;
/** Shorter tokens are guessable; a deployment that sets tokens at all wants real ones. */
const MIN_TOKEN_LENGTH = 16;
const MAX_AGE_LIMIT = 31_536_000;

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `redis://user:secret@host` → `redis://user:***@host`, for logs. */
export function redactUrlCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.href;
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Reads the API's environment: the only place that does. Throws one ApiError ENV_INVALID that
 * lists every problem, each under the variable's name. Secret values are never echoed.
 */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const problems: ErrorDetail[] = [];
  const report = (path: string, message: string): void => {
    problems.push({ path, message });
  };
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      report(name, `'${raw}' is not an integer from ${min} to ${max}`);
      return fallback;
    }
    return Number(raw);
  };

  const port = integer('PORT', 8080, 0, 65_535);
  const host = text('HOST') ?? '0.0.0.0';

  const redisUrl = text('CONDASYNC_REDIS_URL') ?? '';
  if (redisUrl === '') {
    report('CONDASYNC_REDIS_URL', 'is required (redis://host:6379 or rediss://…)');
  } else if (!/^rediss?:\/\/[^/]/.test(redisUrl) || !URL.canParse(redisUrl)) {
    report('CONDASYNC_REDIS_URL', `'${redactUrlCredentials(redisUrl)}' is not a redis:// or rediss:// URL`);
  }

  const storageUrl = text('CONDASYNC_STORAGE_URL') ?? '';
  if (storageUrl === '') {
    report('CONDASYNC_STORAGE_URL', 'is required (file:///absolute/path or s3://bucket/prefix)');
  } else if (!/^(file:\/\/\/|s3:\/\/[^/])/.test(storageUrl) || !URL.canParse(storageUrl)) {
    report(
      'CONDASYNC_STORAGE_URL',
      `'${redactUrlCredentials(storageUrl)}' is neither file:///absolute/path nor s3://bucket/prefix`,
    );
  }

  const s3Endpoint = text('CONDASYNC_S3_ENDPOINT') ?? null;
  if (s3Endpoint !== null && !/^https?:\/\//.test(s3Endpoint)) {
    report('CONDASYNC_S3_ENDPOINT', `'${redactUrlCredentials(s3Endpoint)}' is not an http(s) URL`);
  }
  const s3Region = text('CONDASYNC_S3_REGION') ?? null;

  const tokens = (name: string, pattern: RegExp, what: string): string[] => {
    const values = list(env[name]);
    values.forEach((token, index) => {
      // The value is a secret: say which entry and why, never what it is.
      if (!pattern.test(token)) report(name, `entry ${index + 1} has characters outside ${what}`);
      else if (token.length < MIN_TOKEN_LENGTH) {
        report(name, `entry ${index + 1} is ${token.length} characters long, at least ${MIN_TOKEN_LENGTH}`);
      }
    });
    return values;
  };
  const apiTokens = tokens('CONDASYNC_API_TOKENS', API_TOKEN_PATTERN, 'printable ASCII without spaces');
  const channelTokens = tokens(
    'CONDASYNC_CHANNEL_TOKENS',
    CHANNEL_TOKEN_PATTERN,
    "letters, digits and '-' (what conda accepts in /t/<token>/ URLs)",
  );

  const upstreamAllow = list(env['CONDASYNC_UPSTREAM_ALLOW']);
  for (const prefix of upstreamAllow) {
    if (!/^(https?:\/\/[^/]|file:\/\/\/)/.test(prefix) || !URL.canParse(prefix)) {
      report(
        'CONDASYNC_UPSTREAM_ALLOW',
        `'${redactUrl(prefix)}' is not an https://, http:// or file:/// URL prefix (e.g. https://conda.anaconda.org/)`,
      );
    }
  }

  const repodataMaxAge = integer('CONDASYNC_REPODATA_MAX_AGE', 60, 0, MAX_AGE_LIMIT);

  const level = (text('CONDASYNC_LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(API_LOG_LEVELS as readonly string[]).includes(level)) {
    report('CONDASYNC_LOG_LEVEL', `'${level}' is not one of ${API_LOG_LEVELS.join(', ')}`);
  }

  const queuePrefix = text('CONDASYNC_QUEUE_PREFIX') ?? null;
  if (queuePrefix !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(queuePrefix)) {
    report('CONDASYNC_QUEUE_PREFIX', `'${queuePrefix}' is not 1 to 64 letters, digits, '_' or '-'`);
  }

  if (problems.length > 0) {
    throw new ApiError(
      ApiErrorCode.EnvInvalid,
      `invalid environment: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
      { details: problems },
    );
  }

  const config: ApiConfig = {
    port,
    host,
    redisUrl,
    storageUrl,
    s3Endpoint,
    s3Region,
    apiTokens: Object.freeze(apiTokens),
    channelTokens: Object.freeze(channelTokens),
    upstreamAllow: Object.freeze(upstreamAllow),
    repodataMaxAge,
    logLevel: level as ApiLogLevel,
    queuePrefix,
  };
  // Anything that logs or serialises the config (pino, JSON.stringify) sees the redacted form.
  Object.defineProperty(config, 'toJSON', { value: () => redactApiConfig(config), enumerable: false });
  return Object.freeze(config);
}

/** The config as it may appear in logs: token counts instead of tokens, no Redis password. */
export function redactApiConfig(config: ApiConfig): Record<string, unknown> {
  return {
    port: config.port,
    host: config.host,
    redisUrl: redactUrlCredentials(config.redisUrl),
    storageUrl: config.storageUrl,
    s3Endpoint: config.s3Endpoint === null ? null : redactUrlCredentials(config.s3Endpoint),
    s3Region: config.s3Region,
    apiTokens: `${config.apiTokens.length} configured`,
    channelTokens: `${config.channelTokens.length} configured`,
    upstreamAllow: config.upstreamAllow.map(redactUrl),
    repodataMaxAge: config.repodataMaxAge,
    logLevel: config.logLevel,
    queuePrefix: config.queuePrefix,
  };
}
