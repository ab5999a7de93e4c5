import { createServer, type Server } from 'node:http';
import { portUnavailable } from '@condasync/env';
import type { Registry } from 'prom-client';
import type { ReadinessState } from './readiness.ts';

export interface WorkerHttpOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Null until the worker has built its readiness check: not ready yet. */
  readiness: () => ReadinessState | null;
}

/**
 * The worker's small HTTP server: /metrics, /livez (the process runs) and /readyz (Redis and the
 * store answer). It listens before any job is taken; a port it cannot listen on is an EnvError
 * naming CONDASYNC_WORKER_METRICS_PORT.
 */
export async function startWorkerHttpServer(options: WorkerHttpOptions): Promise<Server> {
  const server = createServer(async (request, response) => {
    if (request.url === '/metrics') {
      response.setHeader('content-type', options.registry.contentType);
      response.end(await options.registry.metrics());
    } else if (request.url === '/livez') {
      response.end('ok\n');
    } else if (request.url === '/readyz') {
      const state = options.readiness();
      response.statusCode = state?.ready ? 200 : 503;
      response.setHeader('content-type', 'application/json');
      response.end(
        `${JSON.stringify(state === null ? { status: 'not ready' } : { status: state.ready ? 'ready' : 'not ready', checks: state.checks })}\n`,
      );
    } else {
      response.statusCode = 404;
      response.end('not found\n');
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    throw portUnavailable('CONDASYNC_WORKER_METRICS_PORT', options.host, options.port, error);
  }
  return server;
}
