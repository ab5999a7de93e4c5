/** The condasync API role: the Fastify app (for tests and embedding) and the process entry. */
export { type BuildAppOptions, buildApp } from './app.ts';
export { type ApiConfig, loadApiConfig, redactApiConfig } from './config.ts';
export { ApiError, ApiErrorCode, type ErrorBody } from './errors.ts';
export { buildChannelServer, type ChannelServerOptions } from './serve/channel-server.ts';
export { type RunningApiServer, startApiServer } from './server.ts';
