import { createHash } from 'node:crypto';
import { INSTALLER_FILENAME, installerKey, readInstallerListing } from '@condasync/mirror';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ApiErrorCode } from '../../errors.ts';
import type { FilePolicy } from '../conda/file-policy.ts';
import { ifNoneMatchHits } from '../conda/http-conditions.ts';
import { serveChannelFile } from '../conda/serve-file.ts';
import { DEFAULT_STORAGE_READ_DEADLINE_MS, withStorageDeadline } from '../conda/storage-deadline.ts';
import { renderListingPage } from './listing-page.ts';
import { installerFileSchema, installerFolderSchema } from './schemas.ts';

export interface DownloadsRoutesOptions {
  /**
   * Where the store keeps `downloads/` and `.condasync/installers/`: '' for the API's storage (its
   * root), `<channel>/` for `condasync serve`, whose store sees the mirror folder as that channel.
   */
  keyPrefix?: string;
  storageReadDeadlineMs?: number | undefined;
}

/** What dir_names allows (keys.ts PATH_SEGMENT_PATTERN). */
const DIR_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** Upstream replaces `…-latest-…` installers in place; the rest almost never change. */
const LATEST = /(^|[-_.])latest([-_.]|$)/i;
const ONE_DAY = 'public, max-age=86400';

/** Mirrored installer folders (fetch_installers): `/downloads/<dir>/<file>` and the folder's listing. */
export default async function downloadsRoutes(
  app: FastifyInstance,
  options: DownloadsRoutesOptions,
): Promise<void> {
  const keyPrefix = options.keyPrefix ?? '';
  const deps = {
    store: app.store,
    servedBytes: app.metrics.servedBytes,
    storageReadDeadlineMs: options.storageReadDeadlineMs ?? DEFAULT_STORAGE_READ_DEADLINE_MS,
  };
  const notFound = (): ApiError => new ApiError(ApiErrorCode.NotFound, 'no such installer');
  const common = {
    method: ['GET', 'HEAD'] as Array<'GET' | 'HEAD'>,
    exposeHeadRoute: false,
    onRequest: app.requireChannelToken,
  };

  app.route({
    ...common,
    url: '/downloads/:dir/:file',
    schema: installerFileSchema,
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const { dir, file } = request.params as { dir: string; file: string };
      if (!DIR_NAME.test(dir) || !INSTALLER_FILENAME.test(file)) throw notFound();
      const policy: FilePolicy = {
        key: `${keyPrefix}${installerKey(dir, file)}`,
        kind: 'installer',
        contentType: 'application/octet-stream',
        cacheControl: LATEST.test(file) ? `public, max-age=${app.apiConfig.repodataMaxAge}` : ONE_DAY,
        gzippable: false,
      };
      return serveChannelFile(request, reply, policy, deps);
    },
  });

  app.route({
    ...common,
    url: '/downloads/:dir',
    schema: installerFolderSchema,
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const { dir } = request.params as { dir: string };
      if (!DIR_NAME.test(dir)) throw notFound();
      const listing = await withStorageDeadline('GET', deps.storageReadDeadlineMs, () =>
        readInstallerListing(deps.store, dir, keyPrefix),
      );
      if (listing === null)
        throw new ApiError(ApiErrorCode.NotFound, `no installer folder ${dir} is mirrored here`);
      const page = Buffer.from(renderListingPage(listing));
      const etag = `"${createHash('sha256').update(page).digest('hex').slice(0, 32)}"`;
      reply.headers({
        etag,
        'cache-control': `public, max-age=${app.apiConfig.repodataMaxAge}`,
        'content-type': 'text/html; charset=utf-8',
        // Our own escaped markup and an inline style; nothing else may load or run.
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
        'x-content-type-options': 'nosniff',
      });
      const ifNoneMatch = request.headers['if-none-match'];
      if (ifNoneMatch !== undefined && ifNoneMatchHits(ifNoneMatch, [etag])) return reply.code(304).send();
      reply.header('content-length', page.byteLength);
      return reply.code(200).send(request.method === 'HEAD' ? undefined : page);
    },
  });
}
