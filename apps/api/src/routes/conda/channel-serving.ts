import { parsePublishNotice, publishNoticeTopic } from '@condasync/queue';
import { type ObjectPresigner, openPresigner } from '@condasync/storage';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { rememberServedKind } from '../../plugins/served-requests.ts';
import type { FilePolicy } from './file-policy.ts';
import { MetadataCache, type MetadataSource } from './metadata-cache.ts';
import { metadataSource, serveCachedFile } from './serve-cached.ts';
import { type ServeDeps, serveChannelFile } from './serve-file.ts';

export interface ChannelServingOptions {
  /** Longest wait for the object store to answer one read; then 503. */
  storageReadDeadlineMs: number;
  /** Namespace of the publish notices (the queue prefix, as the workers'); null for the default. */
  queuePrefix?: string | null | undefined;
}

/** Answers one request for a channel file whose policy is known (routes/conda routes call it). */
export type ServeChannelRequest = (
  request: FastifyRequest,
  reply: FastifyReply,
  policy: FilePolicy,
) => Promise<FastifyReply>;

/** A cache with what it reads the store with. */
type CachedServing = ServeDeps & { cache: MetadataCache; source: MetadataSource };

/**
 * How the app serves channel files: metadata from the in-memory cache (kept current by publish
 * notices from Redis, when the app has Redis, and by revalidation); packages from a second
 * in-memory cache (CONDASYNC_PACKAGE_CACHE_BYTES), streamed from the store when too large for it,
 * or redirected to a presigned URL (CONDASYNC_PACKAGE_DELIVERY=redirect, which then has no cache).
 */
export function createChannelServing(
  app: FastifyInstance,
  options: ChannelServingOptions,
): { serve: ServeChannelRequest; deps: ServeDeps } {
  const { metadataCache: settings, packageCache: packageSettings, packageDelivery } = app.apiConfig;
  const deps: ServeDeps = {
    store: app.store,
    servedBytes: app.metrics.servedBytes,
    storageReadDeadlineMs: options.storageReadDeadlineMs,
  };
  const revalidateMs = settings.revalidateSeconds * 1000;
  const withCache = (cache: MetadataCache): CachedServing => ({
    ...deps,
    cache,
    source: metadataSource(deps, cache),
  });
  const cached =
    settings.maxBytes > 0
      ? withCache(new MetadataCache({ maxBytes: settings.maxBytes, revalidateMs }))
      : null;
  // Packages are immutable by name, yet a replaced one is still seen within the revalidation interval.
  const packagesCached =
    packageDelivery === 'stream' && packageSettings.maxBytes > 0 && packageSettings.maxFileBytes > 0
      ? withCache(
          new MetadataCache({
            maxBytes: packageSettings.maxBytes,
            maxEntryBytes: packageSettings.maxFileBytes,
            revalidateMs,
          }),
        )
      : null;
  const caches = [cached, packagesCached].flatMap((serving) => (serving === null ? [] : [serving.cache]));
  if (caches.length > 0 && app.hasDecorator('redis'))
    listenForPublishNotices(app, caches, options.queuePrefix);
  let presigner: ObjectPresigner | null = null;
  if (packageDelivery === 'redirect') {
    const opened = openPresigner(app.apiConfig.store);
    presigner = opened;
    app.addHook('onClose', async () => opened.close());
  }

  const serve: ServeChannelRequest = async (request, reply, policy) => {
    rememberServedKind(request, policy.kind);
    if (cached !== null && (policy.kind === 'repodata' || policy.kind === 'shard')) {
      return serveCachedFile(request, reply, policy, cached);
    }
    if (presigner !== null && policy.kind === 'package' && request.method === 'GET') {
      // The store serves the bytes (ranges and conditions included); conda, mamba and rattler
      // follow the redirect. The token, if any, was checked before this.
      const location = await presigner.presignGet(policy.key);
      return reply.code(302).headers({ location, 'cache-control': 'no-store' }).send();
    }
    if (packagesCached !== null && policy.kind === 'package') {
      return serveCachedFile(request, reply, policy, packagesCached);
    }
    return serveChannelFile(request, reply, policy, deps);
  };
  return { serve, deps };
}

/**
 * Subscribes to the publish notices on a connection of its own (a subscribed connection can do
 * nothing else). After a reconnection every entry is marked stale: notices may have been missed.
 */
function listenForPublishNotices(
  app: FastifyInstance,
  caches: readonly MetadataCache[],
  queuePrefix: string | null | undefined,
): void {
  const topic = publishNoticeTopic(queuePrefix);
  const subscriber = app.redis.duplicate({ connectionName: 'condasync-api-notices' });
  let connectedBefore = false;
  subscriber.on('ready', () => {
    if (connectedBefore) for (const cache of caches) cache.invalidateAll();
    connectedBefore = true;
    subscriber.subscribe(topic).catch((error: unknown) => {
      app.log.warn({ err: error }, 'cannot subscribe to publish notices; metadata is revalidated instead');
    });
  });
  // The app's own connection reports Redis outages; this one would only repeat them.
  subscriber.on('error', () => {});
  subscriber.on('message', (channel: string, message: string) => {
    if (channel !== topic) return;
    const notice = parsePublishNotice(message);
    if (notice === null) return;
    const prefix = notice.subdir === undefined ? `${notice.channel}/` : `${notice.channel}/${notice.subdir}/`;
    for (const cache of caches) cache.invalidate(prefix);
  });
  app.addHook('onClose', async () => {
    subscriber.disconnect();
  });
}
