import {
  generateShards,
  type RepodataWriterEntry,
  SHARD_FILE_SUFFIX,
  SHARD_INDEX_FILENAME,
  type ShardFile,
} from '@condasync/conda';
import { IMMUTABLE_CACHE_CONTROL, type PublishContext, putIfChanged } from './publish.ts';

/*
 * CEP 16 sharded repodata in our layout (rattler-index's): `<subdir>/shards/<sha256>.msgpack.zst`
 * and `<subdir>/repodata_shards.msgpack.zst` with `base_url: ""` (packages next to the index) and
 * `shards_base_url: "./shards/"`. Shards are content-addressed, so an existing key already holds
 * the right bytes and is never rewritten; the index is written after every shard it lists.
 */

/** Folder of the shard files inside a subdir, as `shards_base_url` says. */
export const SHARDS_FOLDER = 'shards/';

/**
 * Shard puts in flight at once: a first run of a big subdir writes tens of thousands of small
 * objects. None is synced on its own: the barrier before the index makes them durable together.
 */
const PUT_CONCURRENCY = 16;

export interface ShardPublication {
  /** Shard files the index lists, relative to the subdir (`shards/<sha256>.msgpack.zst`). */
  referenced: Set<string>;
  /** Shard files in the store before this run, relative to the subdir. */
  existing: Set<string>;
  /** Shard files written by this run. */
  written: number;
  indexChanged: boolean;
}

/** Shard files stored under `<subdir>/shards/`, relative to the subdir. */
export async function listStoredShards(subdirPrefix: string, ctx: PublishContext): Promise<Set<string>> {
  const stored = new Set<string>();
  for await (const object of ctx.store.list(`${subdirPrefix}${SHARDS_FOLDER}`)) {
    const name = object.key.slice(subdirPrefix.length);
    if (name.endsWith(SHARD_FILE_SUFFIX)) stored.add(name);
  }
  return stored;
}

/**
 * Writes the shards of one subdir that the store does not have yet, then the index when its bytes
 * changed. `subdirPrefix` is `<channelPrefix><subdir>/`. Zstd level: libs/conda's default (3) and
 * not the config's, so that changing the repodata level does not rename every shard.
 */
export async function publishShards(
  subdir: string,
  subdirPrefix: string,
  entries: Iterable<RepodataWriterEntry>,
  removed: readonly string[],
  ctx: PublishContext,
): Promise<ShardPublication> {
  const existing = await listStoredShards(subdirPrefix, ctx);
  const referenced = new Set<string>();
  const generator = generateShards(subdir, entries, { removed, shardsBaseUrl: `./${SHARDS_FOLDER}` });
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let written = 0;
  const put = (shard: ShardFile, name: string): void => {
    const task = ctx.store
      .put(`${subdirPrefix}${name}`, shard.bytes, {
        size: shard.bytes.byteLength,
        sha256: shard.name,
        contentType: 'application/zstd',
        cacheControl: IMMUTABLE_CACHE_CONTROL,
        signal: ctx.signal,
      })
      .then(
        () => {
          written++;
        },
        (error: unknown) => {
          failure ??= { error };
        },
      )
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  };

  let index: Buffer | undefined;
  try {
    for (;;) {
      const step = await generator.next();
      if (step.done) {
        index = step.value;
        break;
      }
      const name = `${SHARDS_FOLDER}${step.value.name}${SHARD_FILE_SUFFIX}`;
      referenced.add(name);
      if (!existing.has(name)) put(step.value, name);
      if (inFlight.size >= PUT_CONCURRENCY) await Promise.race(inFlight);
      if (failure !== undefined) break;
    }
  } finally {
    await Promise.all(inFlight);
  }
  if (failure !== undefined) throw failure.error;
  // Every shard the index lists is in the store now: the index may go out.
  const indexChanged = await putIfChanged(
    `${subdirPrefix}${SHARD_INDEX_FILENAME}`,
    index!,
    'application/zstd',
    ctx,
  );
  return { referenced, existing, written, indexChanged };
}
