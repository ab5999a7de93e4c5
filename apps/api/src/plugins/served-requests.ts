import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import { channelFilePolicy } from '../routes/conda/file-policy.ts';
import type { ServedKind } from './metrics.ts';

/** How a channel-file request ended, for `condasync_served_requests_total{kind,outcome}`. */
export function servedOutcome(statusCode: number): string {
  if (statusCode === 200) return 'ok';
  if (statusCode === 206) return 'partial';
  if (statusCode === 304) return 'not_modified';
  if (statusCode === 404) return 'not_found';
  if (statusCode === 401 || statusCode === 403) return 'denied';
  return statusCode >= 500 ? 'error' : 'client_error';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The kind the channel routes worked out, so the response hook need not parse the URL again. */
    servedKind: ServedKind | null;
  }
}

/** Called by the channel routes once a request's file policy is known. */
export function rememberServedKind(request: FastifyRequest, kind: ServedKind): void {
  request.servedKind = kind;
}

/**
 * The kind of file a `/conda/…` request asked for, by the same policy the routes serve with (so
 * the label agrees with `condasync_served_bytes_total{kind}`); null for any other route.
 */
export function servedKindOf(request: FastifyRequest): ServedKind | null {
  const route = request.routeOptions.url;
  if (route === undefined || !route.startsWith('/conda/')) return null;
  const params = request.params as { channel?: unknown; subdir?: unknown; file?: unknown };
  if (typeof params.channel !== 'string' || typeof params.file !== 'string') return 'other';
  const policy = channelFilePolicy(
    {
      channel: params.channel,
      subdir: typeof params.subdir === 'string' ? params.subdir : undefined,
      inShardsFolder: route.endsWith('/shards/:file'),
      file: params.file,
    },
    0,
  );
  return policy?.kind ?? 'other';
}

/** Channel serving as clients see it: requests by kind and outcome (304s included), and latency. */
export function instrumentServedRequests(app: FastifyInstance, registry: Registry): void {
  // A decorated field keeps one object shape for every request (a WeakMap entry per request cost
  // more than the lookup it saved).
  app.decorateRequest('servedKind', null);
  const requests = new Counter({
    name: 'condasync_served_requests_total',
    help: 'Channel-file requests answered, by kind of file (repodata, package, shard, other) and outcome (ok, partial, not_modified, not_found, denied, client_error, error).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'condasync_served_request_duration_seconds',
    help: 'Time from a channel-file request to the last byte of its response, by kind and outcome.',
    labelNames: ['kind', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const kind = request.servedKind ?? servedKindOf(request);
    if (kind === null) return;
    const outcome = servedOutcome(reply.statusCode);
    requests.labels(kind, outcome).inc();
    duration.labels(kind, outcome).observe(reply.elapsedTime / 1000);
  });
}
