import { createHash } from 'node:crypto';
import type { ObjectStore } from '@condasync/storage';
import { MirrorError, MirrorErrorCode } from '../errors.ts';

/*
 * Where a channel's metadata generations live (docs/design.md §4): one small index per channel and
 * content-addressed blobs, so a subdir whose metadata did not change between two generations (and a
 * rollback, which republishes an older generation's bytes) costs no copy at all.
 *
 *   .condasync/generations/<channel>/index.json
 *   .condasync/generations/<channel>/blobs/<sha256>
 */

/** One snapshotted file: its bytes are the blob named by `sha256`, unless `from` says otherwise. */
export interface GenerationFile {
  sha256: string;
  size: number;
  /**
   * A JSON document kept only as its `.zst` twin (named here, relative to the subdir): serving it
   * decompresses that blob, which has these `sha256` and `size` once decompressed.
   */
  from?: string;
}

export interface Generation {
  n: number;
  /** When it was recorded (ISO 8601). */
  time: string;
  /** What published it: `sync <id>`, `local sync`, `import`, `rollback of <n>`. */
  source: string;
  /** Published files by subdir, relative to the subdir (`repodata.json`, `repodata.json.zst`, …). */
  subdirs: Record<string, Record<string, GenerationFile>>;
  /** Channel-level files (`channeldata.json`). */
  channel: Record<string, GenerationFile>;
  /**
   * Set when a newer generation replaces it: until then every package and shard it lists is still
   * in the store (its deletion countdown started no earlier than the replacement, invariant 4).
   * Served and rolled back to only before this time (ISO 8601).
   */
  retainedUntil?: string;
  /**
   * When the files it lists began to be counted down at the earliest (ISO 8601): `retainedUntil`
   * is this plus the grace period, recomputed when a sync runs with another grace period, since
   * the deletions follow the new one.
   */
  replacedAt?: string;
}

export interface GenerationIndex {
  /** The grace period (ms) of the last sync that recorded a generation; a rollback keeps using it. */
  graceMs: number;
  /** Oldest first; the last one is what the channel publishes now. */
  generations: Generation[];
}

export interface GenerationStore {
  store: ObjectStore;
  /** '' for a mirror_dir holding one channel; `<dest_channel>/` in shared storage. */
  channelPrefix: string;
}

export const generationsPrefixOf = (ctx: GenerationStore): string =>
  `.condasync/generations/${ctx.channelPrefix}`;
export const indexKeyOf = (ctx: GenerationStore): string => `${generationsPrefixOf(ctx)}index.json`;
export const blobKeyOf = (ctx: GenerationStore, sha256: string): string =>
  `${generationsPrefixOf(ctx)}blobs/${sha256}`;

/** The channel's generation index; an empty one before the first generation. */
export async function readGenerationIndex(ctx: GenerationStore): Promise<GenerationIndex> {
  const object = await ctx.store.get(indexKeyOf(ctx));
  if (object === null) return { graceMs: 0, generations: [] };
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as GenerationIndex;
    if (!Array.isArray(parsed.generations)) throw new Error('no "generations" array');
    return parsed;
  } catch (error) {
    throw new MirrorError(
      MirrorErrorCode.Storage,
      `the generation index ${indexKeyOf(ctx)} is unreadable (${(error as Error).message})`,
      { cause: error },
    );
  }
}

export async function writeGenerationIndex(ctx: GenerationStore, index: GenerationIndex): Promise<void> {
  const body = Buffer.from(`${JSON.stringify(index)}\n`);
  await ctx.store.put(indexKeyOf(ctx), body, {
    size: body.byteLength,
    sha256: createHash('sha256').update(body).digest('hex'),
    contentType: 'application/json',
  });
}

/** The current generation, or null before the first. */
export const currentOf = (index: GenerationIndex): Generation | null => index.generations.at(-1) ?? null;

/** True while `generation` may be served and rolled back to: it is current, or its retention has not ended. */
export function isRetained(index: GenerationIndex, generation: Generation, now: number): boolean {
  if (generation === currentOf(index)) return true;
  return generation.retainedUntil !== undefined && Date.parse(generation.retainedUntil) > now;
}

/**
 * Generation `n` of the index if it is still retained; otherwise GENERATION_UNKNOWN naming it and
 * the generations that can be used instead.
 */
export function retainedGeneration(index: GenerationIndex, n: number, now: number): Generation {
  const generation = index.generations.find((g) => g.n === n);
  if (generation !== undefined && isRetained(index, generation, now)) return generation;
  const retained = index.generations.filter((g) => isRetained(index, g, now)).map((g) => g.n);
  const why =
    generation !== undefined || (n >= 1 && index.generations.some((g) => g.n > n))
      ? 'was pruned (its grace period ended, or a clean deleted files it lists)'
      : 'does not exist';
  throw new MirrorError(
    MirrorErrorCode.GenerationUnknown,
    `generation ${n} ${why}; retained generations: ${retained.length > 0 ? retained.join(', ') : 'none'}`,
  );
}

/** What a person or a client is told about a generation (the API and `condasync generations`). */
export interface GenerationSummary {
  n: number;
  time: string;
  source: string;
  subdirs: string[];
  current: boolean;
  /** Older generations only: served and rolled back to until then. */
  retainedUntil?: string;
}

/** The generations that can still be served and rolled back to, oldest first. */
export function retainedGenerations(index: GenerationIndex, now: number): GenerationSummary[] {
  const current = currentOf(index);
  return index.generations
    .filter((g) => isRetained(index, g, now))
    .map((g) => ({
      n: g.n,
      time: g.time,
      source: g.source,
      subdirs: Object.keys(g.subdirs),
      current: g === current,
      ...(g === current || g.retainedUntil === undefined ? {} : { retainedUntil: g.retainedUntil }),
    }));
}
