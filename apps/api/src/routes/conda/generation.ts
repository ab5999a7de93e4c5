import { pipeline, type Readable } from 'node:stream';
import { createZstdDecompress } from 'node:zlib';
import {
  blobKeyOf,
  type Generation,
  type GenerationFile,
  MirrorError,
  MirrorErrorCode,
  readGenerationIndex,
  retainedGeneration,
} from '@condasync/mirror';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ApiErrorCode } from '../../errors.ts';
import { type ChannelFilePath, channelFilePolicy } from './file-policy.ts';
import { ifNoneMatchHits } from './http-conditions.ts';
import { type ServeDeps, serveChannelFile } from './serve-file.ts';

/** `<channel>@<n>`: a channel pinned to metadata generation n (docs/design.md §4). */
const PINNED_CHANNEL = /^(.+)@([1-9][0-9]{0,9})$/;

export interface GenerationServeDeps extends ServeDeps {
  repodataMaxAge: number;
}

/** True when the channel segment of a URL pins a generation (`main@3`). */
export const pinsGeneration = (channel: string): boolean => channel.includes('@');

/**
 * Serves `/conda/<channel>@<n>/…`: the metadata of generation n from its snapshot (a JSON kept
 * only as its `.zst` twin is decompressed on the way), and packages and shards as the channel's
 * own, since they are the same immutable objects and a retained generation lists only files still
 * in their deletion grace. A generation the channel never had, or one pruned, answers 404 naming it.
 */
export async function serveGenerationFile(
  request: FastifyRequest,
  reply: FastifyReply,
  path: ChannelFilePath,
  deps: GenerationServeDeps,
): Promise<FastifyReply> {
  const match = PINNED_CHANNEL.exec(path.channel);
  if (match === null) throw notFound(`"${path.channel}" is not <channel>@<generation number>`);
  const channel = match[1]!;
  const n = Number(match[2]);
  const policy = channelFilePolicy({ ...path, channel }, deps.repodataMaxAge);
  if (policy === null) throw notFound('no such file in this channel');
  const generation = await generationOf(deps, channel, n);
  if (policy.kind === 'package' || policy.kind === 'shard')
    return serveChannelFile(request, reply, policy, deps);

  const files = path.subdir === undefined ? generation.channel : generation.subdirs[path.subdir];
  const file = files?.[path.file];
  const name = path.subdir === undefined ? path.file : `${path.subdir}/${path.file}`;
  if (files === undefined || file === undefined)
    throw notFound(`generation ${n} of channel ${channel} has no ${name}`);

  const etag = `"${file.sha256}"`;
  reply.headers({
    etag,
    'last-modified': new Date(generation.time).toUTCString(),
    'cache-control': policy.cacheControl,
    'content-type': policy.contentType,
    'x-content-type-options': 'nosniff',
  });
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined && ifNoneMatchHits(ifNoneMatch, [etag])) return reply.code(304).send();
  reply.header('content-length', file.size);
  if (request.method === 'HEAD') return reply.code(200).send();

  const stored: GenerationFile = file.from === undefined ? file : files[file.from]!;
  const blob = await deps.store.get(
    blobKeyOf({ store: deps.store, channelPrefix: `${channel}/` }, stored.sha256),
  );
  // Pruned between reading the index and now.
  if (blob === null) throw notFound(`generation ${n} of channel ${channel} was pruned`);
  const body: Readable =
    file.from === undefined ? blob.body : pipeline(blob.body, createZstdDecompress(), () => {});
  const counter = deps.servedBytes.labels(policy.kind);
  body.on('data', (chunk: Buffer) => counter.inc(chunk.length));
  return reply.send(body);
}

async function generationOf(deps: ServeDeps, channel: string, n: number): Promise<Generation> {
  const index = await readGenerationIndex({ store: deps.store, channelPrefix: `${channel}/` });
  try {
    return retainedGeneration(index, n, Date.now());
  } catch (error) {
    if (error instanceof MirrorError && error.code === MirrorErrorCode.GenerationUnknown)
      throw notFound(`channel ${channel}: ${error.message}`);
    throw error;
  }
}

const notFound = (message: string): ApiError => new ApiError(ApiErrorCode.NotFound, message);
