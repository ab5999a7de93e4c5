import { type EnvSource, portUnavailable } from '@condasync/env';
import { settlesWithin } from '@condasync/queue';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { loadApiConfig, redactApiConfig } from './config.ts';

/** Beyond this, a shutdown that still waits on open requests gives up (Kubernetes' default grace is 30 s). */
const SHUTDOWN_TIMEOUT_MS = 25_000;

export interface RunningApiServer {
  app: FastifyInstance;
  /** The address it listens on, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Stops accepting connections, finishes in-flight requests, closes the queues, Redis and the store. */
  close(): Promise<void>;
}

/** A server that cannot listen gives its Redis connection and store this long to close. */
const FAILED_START_CLOSE_MS = 3000;
/** After a shutdown, anything still holding the event loop (a hung socket) gets this long. */
const EXIT_AFTER_CLOSE_MS = 2000;

/**
 * Starts the API process role: reads the environment, listens, and shuts down gracefully on
 * SIGTERM/SIGINT. `condasync api` calls this. A bad environment throws EnvError (ENV_INVALID), a
 * port that cannot be listened on EnvError (PORT_UNAVAILABLE), before anything is served.
 */
export async function startApiServer(env: EnvSource = process.env): Promise<RunningApiServer> {
  const config = loadApiConfig(env);
  const app = buildApp({ config });
  app.log.info({ config: redactApiConfig(config) }, 'starting the condasync API');
  let url: string;
  try {
    url = await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await settlesWithin(app.close(), FAILED_START_CLOSE_MS);
    if (
      typeof (error as { code?: unknown }).code === 'string' &&
      (error as { syscall?: string }).syscall === 'listen'
    ) {
      throw portUnavailable('PORT', config.host, config.port, error);
    }
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    if (closing === undefined) {
      // Node closes idle keep-alive connections only at the moment close() is called; a connection
      // whose download finishes later would hold the server open until its keep-alive timeout.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 200);
      closing = app.close().finally(() => {
        clearInterval(sweep);
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      });
    }
    return closing;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      app.log.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    force.unref();
    close().then(
      () => {
        clearTimeout(force);
        app.log.info('shut down');
        setTimeout(() => process.exit(), EXIT_AFTER_CLOSE_MS).unref();
      },
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return { app, url, close };
}
