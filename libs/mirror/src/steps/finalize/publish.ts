import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { compressBzip2 } from '@condasync/codecs';
import { compressZstd } from '@condasync/conda';
import type { ObjectStore } from '@condasync/storage';

/** Short max-age for metadata, so clients see a new sync within a minute but still cache between runs. */
export const METADATA_CACHE_CONTROL = 'public, max-age=60';

/** Shard files are named after the sha256 of their bytes: they never change. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

export interface PublishContext {
  store: ObjectStore;
  signal?: AbortSignal | undefined;
}

export interface HashedFile {
  path: string;
  sha256: string;
  size: number;
}

/** Streams `source` into a scratch file, hashing on the way. */
export async function writeHashed(
  source: Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  path: string,
): Promise<HashedFile> {
  const hash = createHash('sha256');
  await pipeline(
    source instanceof Readable ? source : Readable.from(source),
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        yield chunk;
      }
    },
    createWriteStream(path),
  );
  return { path, sha256: hash.digest('hex'), size: (await stat(path)).size };
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Every metadata file is put between two durability barriers (docs/design.md §5, invariant 1):
 * the one before makes the objects it lists durable (packages and shards are written without an
 * fsync each, and the filesystem store trusts them only after a barrier), the one after makes the
 * file itself durable before anything that follows it, a JSON after its compressed twin included.
 * All of a subdir's metadata goes out through here. `durableBefore`: the caller's previous put
 * ended with a barrier and nothing was put since, so the one before would sync nothing new.
 */
async function putBetweenBarriers(
  key: string,
  body: HashedFile | Buffer,
  sha256: string,
  options: { contentType: string; cacheControl: string },
  ctx: PublishContext,
  { durableBefore = false } = {},
): Promise<void> {
  if (!durableBefore) await ctx.store.flush();
  await ctx.store.put(key, Buffer.isBuffer(body) ? body : createReadStream(body.path), {
    size: Buffer.isBuffer(body) ? body.byteLength : body.size,
    sha256,
    ...options,
    signal: ctx.signal,
  });
  await ctx.store.flush();
}

/** Puts the object unless the store already holds exactly these bytes. True when written. */
export async function putIfChanged(
  key: string,
  body: HashedFile | Buffer,
  contentType: string,
  ctx: PublishContext,
): Promise<boolean> {
  const sha256 = Buffer.isBuffer(body) ? sha256Of(body) : body.sha256;
  const current = await ctx.store.head(key);
  if (current?.sha256 === sha256) return false;
  await putBetweenBarriers(key, body, sha256, { contentType, cacheControl: METADATA_CACHE_CONTROL }, ctx);
  return true;
}

/**
 * Publishes a JSON document and its `.zst` twin (one zstd frame of the same bytes), the `.zst`
 * first so that a client never finds a `.zst` older than the JSON it was made from. Nothing is
 * written when the stored JSON already has these bytes and the `.zst` exists. True when written.
 */
export async function publishJsonWithZst(
  jsonKey: string,
  json: HashedFile,
  zstdLevel: number,
  ctx: PublishContext,
): Promise<boolean> {
  const zstKey = `${jsonKey}.zst`;
  const [currentJson, currentZst] = await Promise.all([ctx.store.head(jsonKey), ctx.store.head(zstKey)]);
  if (currentJson?.sha256 === json.sha256 && currentZst !== null) return false;
  const zst = await writeHashed(
    compressZstd(createReadStream(json.path), { level: zstdLevel }),
    `${json.path}.zst`,
  );
  const metadata = { cacheControl: METADATA_CACHE_CONTROL };
  await putBetweenBarriers(zstKey, zst, zst.sha256, { ...metadata, contentType: 'application/zstd' }, ctx);
  // The barrier after the twin is the one before the JSON: it lists the same files.
  await putBetweenBarriers(
    jsonKey,
    json,
    json.sha256,
    { ...metadata, contentType: 'application/json' },
    ctx,
    {
      durableBefore: true,
    },
  );
  return true;
}

/**
 * What to do with the `.bz2` twin of a JSON document: `publish` keeps one in step with the JSON
 * (writing it when missing), `follow` rewrites one only if it is already published (a caller that
 * does not know the config must not leave a `.bz2` with other bytes than the JSON beside it).
 */
export type Bz2Twin = 'publish' | 'follow';

/**
 * Publishes the `.bz2` twin of a JSON document (one bzip2 stream of the same bytes), to be called
 * before the JSON itself is published so that a client never finds a `.bz2` older than the JSON.
 * Compressing is slow (a pure-JS encoder), so nothing is written when the stored JSON already has
 * these bytes and the `.bz2` exists. The scratch file is `<json.path>.bz2`. True when written.
 */
export async function publishBz2Twin(
  jsonKey: string,
  json: HashedFile,
  mode: Bz2Twin,
  ctx: PublishContext,
): Promise<boolean> {
  const bz2Key = `${jsonKey}.bz2`;
  const [currentJson, currentBz2] = await Promise.all([ctx.store.head(jsonKey), ctx.store.head(bz2Key)]);
  if (currentBz2 === null ? mode === 'follow' : currentJson?.sha256 === json.sha256) return false;
  const bz2 = await writeHashed(compressBzip2(createReadStream(json.path)), `${json.path}.bz2`);
  await putBetweenBarriers(
    bz2Key,
    bz2,
    bz2.sha256,
    { contentType: 'application/x-bzip2', cacheControl: METADATA_CACHE_CONTROL },
    ctx,
  );
  return true;
}

/** Removes published objects that an output no longer has (optional files must answer 404). */
export async function deleteIfPresent(keys: readonly string[], ctx: PublishContext): Promise<string[]> {
  const deleted: string[] = [];
  for (const key of keys) {
    if ((await ctx.store.head(key)) === null) continue;
    await ctx.store.delete(key);
    deleted.push(key);
  }
  return deleted;
}
