import {
  decodeShard,
  decodeShardIndex,
  MAX_SHARD_BYTES,
  MAX_SHARD_INDEX_BYTES,
  parseRepodata,
  SHARD_FILE_SUFFIX,
  SHARD_INDEX_FILENAME,
} from '@condasync/conda';
import type { ObjectStore } from '@condasync/storage';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import { readCapped } from '../upstream/shard-index-fetch.ts';
import { SHARDS_FOLDER } from './finalize/shards.ts';

/*
 * What a subdir's published metadata lists, read back from the store, so that `clean` never
 * deletes a file a client may still be sent to (docs/design.md §5, invariant 1). Anything
 * unreadable fails the clean: a listing we cannot read cannot prove a file unlisted.
 */

/** The repodata documents a client may be given, each listing package files. */
const PUBLISHED_REPODATA = ['repodata.json', 'current_repodata.json'] as const;

/** The filenames among `candidates` that the subdir's published repodata.json or current_repodata.json lists. */
export async function listedByRepodata(
  store: ObjectStore,
  subdirPrefix: string,
  subdir: string,
  candidates: ReadonlySet<string>,
): Promise<Set<string>> {
  const listed = new Set<string>();
  if (candidates.size === 0) return listed;
  for (const document of PUBLISHED_REPODATA) {
    const object = await store.get(`${subdirPrefix}${document}`);
    if (object === null) continue;
    try {
      for await (const entry of parseRepodata(object.body, { subdir, onInvalidRecord: () => {} })) {
        if (candidates.has(entry.filename)) listed.add(entry.filename);
      }
    } catch (error) {
      object.body.destroy();
      throw unreadable(`${subdirPrefix}${document}`, error);
    }
  }
  return listed;
}

/**
 * The filenames among `candidates` that a shard of the published shard index lists. Reads only the
 * shards of the candidates' package names, so a few candidates cost a few shard reads.
 */
export async function listedByShards(
  store: ObjectStore,
  subdirPrefix: string,
  subdir: string,
  candidates: ReadonlySet<string>,
): Promise<Set<string>> {
  const listed = new Set<string>();
  if (candidates.size === 0) return listed;
  const names = new Set([...candidates].map(packageNameOf));
  const index = await readPublishedShardIndex(store, subdirPrefix, subdir);
  for (const [name, hash] of index ?? []) {
    if (!names.has(name)) continue;
    const key = `${subdirPrefix}${SHARDS_FOLDER}${hash}${SHARD_FILE_SUFFIX}`;
    const object = await store.get(key);
    if (object === null) continue; // a shard the store lacks lists nothing a client can fetch
    try {
      const shard = decodeShard(await readCapped(object.body, MAX_SHARD_BYTES, key, 'shard'), { subdir });
      for (const filename of [...Object.keys(shard.packages), ...Object.keys(shard['packages.conda'])]) {
        if (candidates.has(filename)) listed.add(filename);
      }
    } catch (error) {
      object.body.destroy();
      throw unreadable(key, error);
    }
  }
  return listed;
}

/** `<name>-<version>-<build>.conda|.tar.bz2` → name (versions and builds hold no '-'). */
function packageNameOf(filename: string): string {
  return filename
    .replace(/\.(conda|tar\.bz2)$/, '')
    .split('-')
    .slice(0, -2)
    .join('-');
}

/**
 * Shard files (`shards/<sha256>.msgpack.zst`, relative to the subdir) the published shard index
 * references; empty when no index is published.
 */
export async function referencedShards(
  store: ObjectStore,
  subdirPrefix: string,
  subdir: string,
): Promise<Set<string>> {
  const index = await readPublishedShardIndex(store, subdirPrefix, subdir);
  return new Set(
    [...(index ?? new Map()).values()].map((hash) => `${SHARDS_FOLDER}${hash}${SHARD_FILE_SUFFIX}`),
  );
}

async function readPublishedShardIndex(
  store: ObjectStore,
  subdirPrefix: string,
  subdir: string,
): Promise<Map<string, string> | null> {
  const key = `${subdirPrefix}${SHARD_INDEX_FILENAME}`;
  const object = await store.get(key);
  if (object === null) return null;
  try {
    return decodeShardIndex(await readCapped(object.body, MAX_SHARD_INDEX_BYTES, key, 'shard index'), {
      subdir,
    }).shards;
  } catch (error) {
    object.body.destroy();
    throw unreadable(key, error);
  }
}

function unreadable(key: string, error: unknown): MirrorError {
  return new MirrorError(
    MirrorErrorCode.RepodataInvalid,
    `cannot read the published ${key} (${(error as Error).message}); nothing in its subdir is deleted until it is readable`,
    { cause: error },
  );
}
