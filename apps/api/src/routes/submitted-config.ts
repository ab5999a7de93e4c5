import { parseSyncConfig, redactUrl, type SyncConfig } from '@condasync/mirror';
import type { FastifyInstance } from 'fastify';
import { ApiError, ApiErrorCode, type ErrorDetail } from '../errors.ts';
import { type HostResolver, refusedUpstreams } from '../upstream-policy.ts';
import { SYNC_BODY_LIMIT, SYNC_CONFIG_MEDIA_TYPES } from './syncs/schemas.ts';

/** Keys naming folders of the machine that runs the job: meaningful for the CLI, not for the API. */
function localPathProblems(config: SyncConfig): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  if (config.mirror_dir !== null) {
    problems.push({
      path: 'mirror_dir',
      message:
        'a sync posted to the API writes into the server’s storage and is served at /conda/<dest_channel>/; ' +
        'remove mirror_dir (it is for `condasync sync` on your own machine)',
    });
  }
  config.environments.forEach((environment, index) => {
    if (environment.file !== null) {
      problems.push({
        path: `environments[${index}].file`,
        message: "the server cannot read a file on your machine; give the environment's specs inline",
      });
    }
  });
  if (config.delta_dir !== null) {
    problems.push({
      path: 'delta_dir',
      message:
        'delta bundles are written to a local folder, which the API cannot offer; use `condasync sync` for delta exports',
    });
  }
  for (const key of ['log_dir', 'server_log_dir', 'server_port'] as const) {
    if (config[key] !== null) {
      problems.push({
        path: key,
        message: `${key} is for \`condasync sync\` and \`condasync serve\` on your own machine; the API logs to stdout and listens on PORT`,
      });
    }
  }
  return problems;
}

/**
 * Upstream URLs that carry a token or a password. The stored config rests in Redis until its sync
 * ends, so it may hold them only sealed (CONDASYNC_SECRET_KEY); without a key they are refused.
 */
function credentialProblems(config: SyncConfig): ErrorDetail[] {
  const urls: Array<[string, string]> = [
    ...config.channels.map((url, index): [string, string] => [`channels[${index}]`, url]),
    ['remote_url', config.remote_url],
  ];
  return urls
    .filter(([, url]) => redactUrl(url) !== url)
    .map(([path]) => ({
      path,
      message:
        'carries a token or password, which this server would keep in Redis in clear: set ' +
        'CONDASYNC_SECRET_KEY (the same on the API and every worker) so stored configs are sealed',
    }));
}

/**
 * A sync config sent to the API (POST /v1/syncs, /v1/cleanups, /v1/verifications, /v1/schedules), parsed and checked:
 * every problem with its key path, keys for local runs refused, every upstream allowed by
 * CONDASYNC_UPSTREAM_ALLOW, and credentials only when they can be stored sealed.
 */
export async function submittedConfig(
  app: FastifyInstance,
  text: string,
  resolveHost: HostResolver,
  sourceName = 'request body',
): Promise<SyncConfig> {
  if (text.trim() === '') {
    throw new ApiError(ApiErrorCode.ConfigInvalid, 'the request body is empty; send a sync config', {
      details: [{ path: '', message: 'send the sync config as application/yaml or application/json' }],
    });
  }
  const config = parseSyncConfig(text, { sourceName });
  const localPaths = localPathProblems(config);
  if (localPaths.length > 0) {
    throw new ApiError(ApiErrorCode.ConfigInvalid, 'invalid sync config: keys for local runs only', {
      details: localPaths,
    });
  }
  const refused = await refusedUpstreams(config, {
    allow: app.apiConfig.upstreamAllow,
    resolve: resolveHost,
  });
  if (refused.length > 0) {
    throw new ApiError(
      ApiErrorCode.UpstreamNotAllowed,
      `${refused.length} upstream${refused.length === 1 ? ' is' : 's are'} not allowed on this server`,
      { details: refused },
    );
  }

  const credentials = app.syncRegistry.seals ? [] : credentialProblems(config);
  if (credentials.length > 0) {
    throw new ApiError(ApiErrorCode.ConfigInvalid, 'invalid sync config: credentials cannot be stored', {
      details: credentials,
    });
  }
  return config;
}

/**
 * Route bodies become the config's text: parseSyncConfig parses it (JSON is YAML), since JSON.parse
 * would turn `python_versions: [3.10]` into 3.1 before anyone could see what was written.
 */
export function takeConfigText(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    SYNC_CONFIG_MEDIA_TYPES,
    { parseAs: 'string', bodyLimit: SYNC_BODY_LIMIT },
    (_request, body, done) => done(null, body),
  );
}
