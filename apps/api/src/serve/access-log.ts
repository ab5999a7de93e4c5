import type { FastifyInstance } from 'fastify';
import { type LogStream, redactRequestUrl } from '../logging.ts';

/**
 * One JSON line per answered request, for the bundled server's access log (cas-sync's
 * `server_log_dir`). The URL is the one the client sent, token segments and credential query
 * values redacted, so a `/t/<token>/` request is visible as such without its token.
 */
export function logAccess(app: FastifyInstance, stream: LogStream): void {
  // On the socket's 'close', not in onResponse: Fastify runs onResponse on 'finish' only, which a
  // client that hangs up as soon as it has every byte (curl) often beats, and that line was lost.
  app.addHook('onRequest', async (request, reply) => {
    reply.raw.once('close', () => {
      const length = reply.getHeader('content-length');
      const line = {
        time: new Date().toISOString(),
        remote: request.ip,
        method: request.method,
        url: redactRequestUrl(request.originalUrl),
        status: reply.statusCode,
        bytes: length === undefined ? null : Number(length),
        ms: Math.round(reply.elapsedTime * 10) / 10,
        agent: request.headers['user-agent'] ?? null,
      };
      stream.write(`${JSON.stringify(line)}\n`);
    });
  });
}
