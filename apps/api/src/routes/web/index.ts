import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import channelPages from './channel-pages.ts';
import dashboardRoutes from './dashboard.ts';
import { ASSET_PATH, securityHeaders } from './layout.ts';

const ASSETS: Record<string, { type: string; bytes: Buffer }> = {
  'web.css': {
    type: 'text/css; charset=utf-8',
    bytes: readFileSync(join(import.meta.dirname, 'assets/web.css')),
  },
  'dashboard.js': {
    type: 'text/javascript; charset=utf-8',
    bytes: readFileSync(join(import.meta.dirname, 'assets/dashboard.js')),
  },
};

/** The web page: the channel browser, the sync dashboard and their two static files. */
export default async function webRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { file: string } }>(`${ASSET_PATH}/:file`, async (request, reply) => {
    const asset = Object.hasOwn(ASSETS, request.params.file) ? ASSETS[request.params.file] : undefined;
    if (asset === undefined) return reply.callNotFound();
    return reply
      .headers(securityHeaders)
      .header('cache-control', 'public, max-age=300')
      .type(asset.type)
      .send(asset.bytes);
  });
  await app.register(channelPages);
  await app.register(dashboardRoutes);
}
