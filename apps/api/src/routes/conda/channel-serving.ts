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

/**
 * How the app serves channel files: metadata from the in-memory cache (kept current by publish
 * notices from Redis, when the app has Redis, and by revalidation), packages streamed from the
 * store or redirected to a presigned URL (CONDASYNC_PACKAGE_DELIVERY=redirect).
 */
export function createChannelServing(
  app: FastifyInstance,
  options: ChannelServingOptions,
): { serve: ServeChannelRequest; deps: ServeDeps } {
  const { metadataCache: settings, packageDelivery } = app.apiConfig;
  const deps: ServeDeps = {
    store: app.store,
    servedBytes: app.metrics.servedBytes,
    storageReadDeadlineMs: options.storageReadDeadlineMs,
  };
  let cached: (ServeDeps & { cache: MetadataCache; source: MetadataSource }) | null = null;
  if (settings.maxBytes > 0) {
    const cache = new MetadataCache({
      maxBytes: settings.maxBytes,
      revalidateMs: settings.revalidateSeconds * 1000,
    });
    cached = { ...deps, cache, source: metadataSource(deps, cache) };
    if (app.hasDecorator('redis')) listenForPublishNotices(app, cache, options.queuePrefix);
  }
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
  cache: MetadataCache,
  queuePrefix: string | null | undefined,
): void {
  const topic = publishNoticeTopic(queuePrefix);
  const subscriber = app.redis.duplicate({ connectionName: 'condasync-api-notices' });
  let connectedBefore = false;
  subscriber.on('ready', () => {
    if (connectedBefore) cache.invalidateAll();
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
    cache.invalidate(
      notice.subdir === undefined ? `${notice.channel}/` : `${notice.channel}/${notice.subdir}/`,
    );
  });
  app.addHook('onClose', async () => {
    subscriber.disconnect();
  });
}
