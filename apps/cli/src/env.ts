import { homedir } from 'node:os';
import { join } from 'node:path';
import { CHANNEL_TOKEN_RULE, EnvReader, type EnvSource } from '@condasync/env';
import type { StoreSettings } from '@condasync/storage';

/** Everything the CLI reads from the environment, read in this one place. */
export interface CliEnv {
  /** CONDASYNC_STORAGE_URL with the S3 endpoint and region; null when no storage URL is set. */
  store: StoreSettings | null;
  /** Local folder for the upstream repodata cache and scratch files. */
  workDir: string;
  logFormat: 'pretty' | 'json';
  /** Bearer token for `--server` (one of the server's CONDASYNC_API_TOKENS). */
  apiToken: string | null;
  /** CONDASYNC_CHANNEL_TOKENS, as the API reads it: `condasync serve` asks clients for one of them. */
  channelTokens: readonly string[];
}

/** Reads the CLI's environment; throws one EnvError naming every bad variable. */
export function readCliEnv(env: EnvSource = process.env): CliEnv {
  const read = new EnvReader(env);
  const cacheHome = read.text('XDG_CACHE_HOME') ?? join(homedir(), '.cache');
  const cliEnv: CliEnv = {
    store: read.store({ required: false }),
    workDir: read.text('CONDASYNC_WORK_DIR') ?? join(cacheHome, 'condasync'),
    logFormat: read.oneOf('CONDASYNC_LOG_FORMAT', ['pretty', 'json'], 'pretty'),
    apiToken: read.text('CONDASYNC_API_TOKEN') ?? null,
    channelTokens: read.tokens('CONDASYNC_CHANNEL_TOKENS', CHANNEL_TOKEN_RULE),
  };
  read.finish();
  return cliEnv;
}
