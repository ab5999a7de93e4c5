import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiConfig } from '../config.ts';
import { ApiError, ApiErrorCode } from '../errors.ts';
import { urlTokenOf } from '../routes/conda/token-url.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook for /v1 and /admin: a valid bearer token, unless no API token is configured. */
    requireApiToken: (request: FastifyRequest) => Promise<void>;
    /** onRequest hook for /conda: a channel token (URL or bearer), when CONDASYNC_CHANNEL_TOKENS is set. */
    requireChannelToken: (request: FastifyRequest) => Promise<void>;
    /** True when `token` is one of the API tokens (constant time). */
    isApiToken: (token: string | undefined) => boolean;
  }
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Compares against every configured token in constant time (hashing first equalises lengths). */
function tokenMatcher(tokens: readonly string[]): (token: string | undefined) => boolean {
  const digests = tokens.map(digest);
  return (token) => {
    if (token === undefined || token === '') return false;
    const presented = digest(token);
    let found = false;
    for (const expected of digests) found = timingSafeEqual(presented, expected) || found;
    return found;
  };
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

export function unauthorized(message: string): ApiError {
  return new ApiError(ApiErrorCode.Unauthorized, message, {
    headers: { 'www-authenticate': 'Bearer realm="condasync"' },
  });
}

export default fp<{ config: ApiConfig; servesApi?: boolean }>(
  async (app, { config, servesApi = true }) => {
    const isApiToken = tokenMatcher(config.apiTokens);
    const isChannelToken = tokenMatcher(config.channelTokens);
    app.decorate(
      'isApiToken',
      (token: string | undefined) => config.apiTokens.length === 0 || isApiToken(token),
    );

    app.decorate('requireApiToken', async (request: FastifyRequest) => {
      if (config.apiTokens.length === 0) return;
      const token = bearerToken(request);
      if (token === undefined)
        throw unauthorized('this endpoint needs an Authorization: Bearer <token> header');
      if (!isApiToken(token)) throw unauthorized('the bearer token is not valid');
    });

    app.decorate('requireChannelToken', async (request: FastifyRequest) => {
      if (config.channelTokens.length === 0) return;
      const token = urlTokenOf(request.raw) ?? bearerToken(request);
      if (token === undefined) {
        throw unauthorized('this channel needs a token: use a /t/<token>/conda/… URL or a bearer token');
      }
      if (!isChannelToken(token)) throw unauthorized('the channel token is not valid');
    });

    app.addHook('onReady', async () => {
      if (servesApi && config.apiTokens.length === 0) {
        app.log.warn(
          'CONDASYNC_API_TOKENS is empty: /v1 and /admin are open to anyone who can reach this port',
        );
      }
    });
  },
  { name: 'condasync-auth', fastify: '5.x' },
);
