/**
 * The closed value sets a sync config may use. Kept apart from the schema so the filter code, the
 * CLI and the docs test can share them.
 */

/**
 * Conda subdirs a mirror may name. Historical ones (osx-32, linux-32, win-32, linux-armv6l) stay
 * because old channels (pkgs/free) still publish them and cas-sync's default list named them.
 */
export const KNOWN_SUBDIRS = [
  'noarch',
  'linux-32',
  'linux-64',
  'linux-aarch64',
  'linux-armv6l',
  'linux-armv7l',
  'linux-ppc64',
  'linux-ppc64le',
  'linux-riscv32',
  'linux-riscv64',
  'linux-s390x',
  'linux-loong64',
  'osx-32',
  'osx-64',
  'osx-arm64',
  'win-32',
  'win-64',
  'win-arm64',
  'freebsd-64',
  'zos-z',
  'emscripten-wasm32',
  'wasi-wasm32',
] as const;

/** License families `license_blacklist` accepts: libs/conda's filter owns the list. */
export { LICENSE_FAMILIES, type LicenseFamily } from '@condasync/conda';

/** pino level names, which is what the resolved config carries. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Python logging names and numbers (what cas-sync's `-l` and its config took) mapped to pino levels.
 * Keys are upper case; lookups upper-case the input first.
 */
export const LOG_LEVEL_ALIASES: Readonly<Record<string, LogLevel>> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  WARNING: 'warn',
  ERROR: 'error',
  CRITICAL: 'fatal',
  FATAL: 'fatal',
  '10': 'debug',
  '20': 'info',
  '30': 'warn',
  '40': 'error',
  '50': 'fatal',
};

export const REPODATA_SOURCES = ['repodata.json', 'repodata_from_packages.json'] as const;
export type RepodataSource = (typeof REPODATA_SOURCES)[number];

/**
 * Settings that belong to the process environment, not to a sync config. A config that names one
 * gets an error pointing at the variable instead of a bare "unknown key".
 */
export const ENVIRONMENT_ONLY_KEYS: Readonly<Record<string, string>> = {
  redis_url: 'CONDASYNC_REDIS_URL',
  storage_url: 'CONDASYNC_STORAGE_URL',
  s3_endpoint: 'CONDASYNC_S3_ENDPOINT',
  s3_region: 'CONDASYNC_S3_REGION',
  aws_access_key_id: 'AWS_ACCESS_KEY_ID',
  aws_secret_access_key: 'AWS_SECRET_ACCESS_KEY',
  api_tokens: 'CONDASYNC_API_TOKENS',
  port: 'PORT',
  worker_concurrency: 'CONDASYNC_WORKER_CONCURRENCY',
  upstream_allow: 'CONDASYNC_UPSTREAM_ALLOW',
};
