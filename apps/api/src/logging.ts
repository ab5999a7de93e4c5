import { redactUrl } from '@condasync/mirror';
import type { FastifyRequest } from 'fastify';
import type { ApiLogLevel } from './config.ts';

/** Where log lines go; pino's destinations and any `{ write(line) }` fit. */
export interface LogStream {
  write(line: string): void;
}

export type LoggerChoice = false | { level?: ApiLogLevel; stream?: LogStream };

/**
 * A request URL as it may be logged: token segments (`/t/…`, `/T/…`) and credential query values
 * (`?token=`, `?access_token=`, …) replaced (libs/mirror's redactUrl knows them all).
 */
export function redactRequestUrl(url: string): string {
  return redactUrl(url);
}

/**
 * Fastify's request serializer, minus secrets. Token URLs are already rewritten before routing
 * (see routes/conda/token-url.ts); this is the second line, for every other URL that carries one.
 */
function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactRequestUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/** Fastify `logger` options: pino JSON with redacting serializers, or no logging at all. */
export function loggerOptions(choice: LoggerChoice | undefined, level: ApiLogLevel): object | false {
  if (choice === false) return false;
  return {
    level: choice?.level ?? level,
    ...(choice?.stream === undefined ? {} : { stream: choice.stream }),
    serializers: { req: serializeRequest },
    // Belt and braces: nothing that reaches a log line carries these.
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'],
      censor: '<redacted>',
    },
  };
}
