import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSyncConfig } from '@condasync/mirror';
import type { CliEnv } from '../env.ts';
import type { LogLevel } from '../logging.ts';
import { ExitCode, UsageError } from './exit-codes.ts';
import { parseLogLevelFlag } from './log-level.ts';

export const serveUsage = `Usage: condasync serve (-f FILE | --dir DIR) [options]

Serve a local mirror folder (a sync config's mirror_dir) as a conda channel at
http://HOST:PORT/conda/NAME/, with the API's channel serving: ETags and 304s, byte ranges,
cache headers, token URLs (/t/<token>/conda/NAME/ when CONDASYNC_CHANNEL_TOKENS is set).
Runs until SIGINT or SIGTERM.

Options:
  -f, --file FILE          sync config: serves its mirror_dir as dest_channel on server_port,
                           access log in server_log_dir
      --dir DIR            the folder to serve (overrides mirror_dir)
      --name NAME          channel name (overrides dest_channel; default with --dir: the folder's name)
      --port N             port (overrides server_port; default 8080; 0 picks a free one)
      --host HOST          address to listen on (default 0.0.0.0)
      --log-dir DIR        write the access log to DIR/access.log (overrides server_log_dir)
  -l, --log-level LEVEL    the server's own log on stderr (default warn)
  -h, --help               show this help
`;

/** The file in `server_log_dir` that gets one JSON line per request, appended across runs. */
export const ACCESS_LOG_NAME = 'access.log';
const DEFAULT_PORT = 8080;
const CHANNEL_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

interface ServeSettings {
  dir: string;
  name: string;
  port: number;
  host: string;
  logDir: string | null;
}

export async function serveCommand(argv: string[], env: CliEnv, out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      file: { type: 'string', short: 'f' },
      dir: { type: 'string' },
      name: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'log-dir': { type: 'string' },
      'log-level': { type: 'string', short: 'l' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    out.write(serveUsage);
    return ExitCode.Ok;
  }
  const settings = await serveSettings(values);
  const level: LogLevel = values['log-level'] === undefined ? 'warn' : parseLogLevelFlag(values['log-level']);
  await requireFolder(settings.dir);

  let accessLog: WriteStream | undefined;
  if (settings.logDir !== null) {
    await mkdir(settings.logDir, { recursive: true });
    accessLog = createWriteStream(join(settings.logDir, ACCESS_LOG_NAME), { flags: 'a' });
  }
  // Loaded here, not at start-up: the other commands need no HTTP server.
  const { buildChannelServer } = await import('@condasync/api');
  const app = buildChannelServer({
    channels: new Map([[settings.name, settings.dir]]),
    channelTokens: env.channelTokens,
    logger: { level, stream: process.stderr },
    ...(accessLog === undefined ? {} : { accessLog }),
  });
  try {
    await app.listen({ port: settings.port, host: settings.host });
  } catch (error) {
    await app.close();
    accessLog?.end();
    throw new UsageError(`cannot listen on ${settings.host}:${settings.port}: ${(error as Error).message}`);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : settings.port;
  out.write(describeServer(settings, port, env.channelTokens.length > 0));

  const signal = await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  app.log.info({ signal }, 'shutting down');
  await app.close();
  if (accessLog !== undefined) await new Promise<void>((done) => accessLog.end(done));
  return ExitCode.Ok;
}

async function serveSettings(values: {
  file?: string | undefined;
  dir?: string | undefined;
  name?: string | undefined;
  port?: string | undefined;
  host?: string | undefined;
  'log-dir'?: string | undefined;
}): Promise<ServeSettings> {
  let fromConfig: { dir: string | null; name: string; port: number | null; logDir: string | null } | null =
    null;
  if (values.file !== undefined) {
    const path = resolve(values.file);
    const text = await readFile(path, 'utf8').catch((error: unknown) => {
      throw new UsageError(`cannot read the sync config ${path}: ${(error as Error).message}`);
    });
    const config = parseSyncConfig(text, { sourceName: path });
    fromConfig = {
      dir: config.mirror_dir,
      name: config.dest_channel,
      port: config.server_port,
      logDir: config.server_log_dir,
    };
  }
  const dirText = values.dir ?? fromConfig?.dir ?? null;
  if (dirText === null) {
    throw new UsageError(
      values.file === undefined
        ? 'condasync serve needs a folder: -f FILE (its mirror_dir) or --dir DIR'
        : `the sync config ${values.file} has no mirror_dir: give the folder to serve with --dir DIR`,
    );
  }
  const dir = resolve(dirText);
  const name = values.name ?? fromConfig?.name ?? basename(dir);
  if (!CHANNEL_NAME.test(name) || name.length > 128) {
    throw new UsageError(
      `channel name "${name}" is not valid: expected letters, digits, '.', '_' and '-', not starting with '.' (give one with --name)`,
    );
  }
  const port = values.port === undefined ? (fromConfig?.port ?? DEFAULT_PORT) : parsePort(values.port);
  const logDirText = values['log-dir'] ?? fromConfig?.logDir ?? null;
  return {
    dir,
    name,
    port,
    host: values.host ?? '0.0.0.0',
    logDir: logDirText === null ? null : resolve(logDirText),
  };
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new UsageError(`--port ${text} is not valid: expected an integer from 0 to 65535`);
  }
  return port;
}

async function requireFolder(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => null);
  if (info === null || !info.isDirectory()) {
    throw new UsageError(
      `${dir} is not a folder: run condasync sync first, or give the mirror folder with --dir`,
    );
  }
}

/** The channel URL and the .condarc lines that use it. */
function describeServer(settings: ServeSettings, port: number, withToken: boolean): string {
  const host = settings.host === '0.0.0.0' || settings.host === '::' ? 'localhost' : settings.host;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const channelUrl = withToken
    ? `${origin}/t/<TOKEN>/conda/${settings.name}`
    : `${origin}/conda/${settings.name}`;
  const lines = [
    `serving ${settings.dir} as channel ${settings.name} at ${origin}/conda/${settings.name}/`,
    ...(settings.logDir === null ? [] : [`access log: ${join(settings.logDir, ACCESS_LOG_NAME)}`]),
    '',
    'Add to ~/.condarc:',
    'channels:',
    `  - ${channelUrl}`,
    ...(withToken ? ['(replace <TOKEN> with one of CONDASYNC_CHANNEL_TOKENS)'] : []),
    '',
  ];
  return `${lines.join('\n')}\n`;
}
