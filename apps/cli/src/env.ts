import { homedir } from 'node:os';
import { join } from 'node:path';

/** Everything the CLI reads from the environment, read in this one place. */
export interface CliEnv {
  storageUrl: string | null;
  s3Endpoint: string | null;
  s3Region: string | null;
  /** Local folder for the upstream repodata cache and scratch files. */
  workDir: string;
  logFormat: 'pretty' | 'json';
  /** Bearer token for `--server` (one of the server's CONDASYNC_API_TOKENS). */
  apiToken: string | null;
}

export function readCliEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  const cacheHome = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return {
    storageUrl: env['CONDASYNC_STORAGE_URL'] || null,
    s3Endpoint: env['CONDASYNC_S3_ENDPOINT'] || null,
    s3Region: env['CONDASYNC_S3_REGION'] || null,
    workDir: env['CONDASYNC_WORK_DIR'] || join(cacheHome, 'condasync'),
    logFormat: env['CONDASYNC_LOG_FORMAT'] === 'json' ? 'json' : 'pretty',
    apiToken: env['CONDASYNC_API_TOKEN'] || null,
  };
}
