import { buffer } from 'node:stream/consumers';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FilePolicy } from './file-policy.ts';
import { acceptsGzip, parseRange, resolveRange } from './http-conditions.ts';
import type { MetadataCache, MetadataSource } from './metadata-cache.ts';
import {
  headUnderDeadline,
  ifRangeHolds,
  isNotModified,
  notFound,
  rangeNotSatisfiable,
  type ServeDeps,
  serveChannelFile,
  setRepresentationHeaders,
} from './serve-file.ts';
import { withStorageDeadline } from './storage-deadline.ts';

/** The store as the metadata cache reads it: every read under the serving deadline. */
export function metadataSource(deps: ServeDeps, cache: MetadataCache): MetadataSource {
  return {
    head: (key) => headUnderDeadline(deps, key),
    read: (key) =>
      // The deadline covers the whole body: the cache holds it whole before anyone is answered.
      withStorageDeadline('GET', deps.storageReadDeadlineMs, async (signal) => {
        const result = await deps.store.get(key, { signal });
        if (result === null) return null;
        if (result.info.size > cache.maxEntryBytes) {
          result.body.destroy();
          return 'too-large' as const;
        }
        return { info: result.info, bytes: await buffer(result.body) };
      }),
  };
}

/**
 * Answers GET or HEAD for a metadata file from the cache: 200, 206, 304, 404 or 416 as the
 * streamed path would, without a store request while the entry is fresh. Files too large for the
 * cache go the streamed way.
 */
export async function serveCachedFile(
  request: FastifyRequest,
  reply: FastifyReply,
  policy: FilePolicy,
  deps: ServeDeps & { cache: MetadataCache; source: MetadataSource },
): Promise<FastifyReply> {
  const file = await deps.cache.get(policy.key, deps.source);
  if (file === 'uncached') return serveChannelFile(request, reply, policy, deps);
  if (file === null) throw notFound();
  const { headers } = request;
  const isHead = request.method === 'HEAD';
  const range = isHead ? null : parseRange(headers.range);
  const gzip = policy.gzippable && range === null && acceptsGzip(headers['accept-encoding']);
  const { info } = file;
  setRepresentationHeaders(reply, info, policy, gzip);
  if (isNotModified(request, info)) return reply.code(304).send();

  const ifRange = headers['if-range'];
  if (range !== null && (ifRange === undefined || ifRangeHolds(ifRange, info))) {
    const span = resolveRange(range, info.size);
    if (span === null) throw rangeNotSatisfiable(info.size);
    reply
      .code(206)
      .header('content-range', `bytes ${span.start}-${span.end}/${info.size}`)
      .header('content-length', span.end - span.start + 1);
    return sendBytes(reply, file.bytes.subarray(span.start, span.end + 1), policy, deps);
  }
  if (isHead) {
    // As the streamed path: a gzip HEAD does not compress just to count.
    if (!gzip) reply.header('content-length', info.size);
    return reply.code(200).send();
  }
  const body = gzip ? await deps.cache.gzipped(policy.key, file) : file.bytes;
  reply.header('content-length', body.length);
  return sendBytes(reply, body, policy, deps);
}

function sendBytes(reply: FastifyReply, bytes: Buffer, policy: FilePolicy, deps: ServeDeps): FastifyReply {
  deps.servedBytes.labels(policy.kind).inc(bytes.length);
  return reply.send(bytes);
}
