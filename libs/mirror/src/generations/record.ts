import type { Logger } from '../logger.ts';
import { readCountdowns } from '../steps/deletions.ts';
import {
  blobKeyOf,
  currentOf,
  type Generation,
  type GenerationIndex,
  type GenerationStore,
  generationsPrefixOf,
  readGenerationIndex,
  writeGenerationIndex,
} from './layout.ts';
import { blobsOf, keepBlobs, readPublishedState, sameState } from './snapshot.ts';

export interface GenerationContext extends GenerationStore {
  logger: Logger;
}

export interface RecordGenerationInput {
  /** What published the metadata: `sync <id>`, `local sync`, `import`, `rollback of <n>`. */
  source: string;
  /** The clock of the deletion countdowns (ms). */
  now: number;
  /** The grace period of the deletion countdowns (grace_period_hours, ms). */
  graceMs: number;
  /** Subdirs to look at besides the known conda subdirs. */
  subdirs?: readonly string[];
}

export interface RecordGenerationResult {
  /** The channel's current generation after the call; null when the channel publishes nothing. */
  generation: Generation | null;
  /** False when the published metadata equals the current generation's (nothing recorded). */
  created: boolean;
  /** Generations pruned because their retention ended. */
  pruned: number[];
}

/**
 * Records what the channel publishes now as its next generation (docs/design.md §5), once the
 * publication is complete and under the channel's single writer (invariant 6); nothing when the
 * published bytes equal the current generation's. The generation it replaces stays retained for
 * the grace period counted from the earliest deletion countdown started since it was recorded, so
 * every file it lists is still in the store while it is served. Generations past their retention
 * are pruned.
 */
export async function recordGeneration(
  ctx: GenerationContext,
  input: RecordGenerationInput,
): Promise<RecordGenerationResult> {
  const index = await readGenerationIndex(ctx);
  const previous = currentOf(index);
  const state = await readPublishedState(ctx, [
    ...(input.subdirs ?? []),
    ...Object.keys(previous?.subdirs ?? {}),
  ]);
  const graceChanged = index.graceMs !== input.graceMs;
  index.graceMs = input.graceMs;
  // Deletions follow the grace period of the sync that runs them, so retention does too.
  for (const generation of index.generations)
    if (generation.replacedAt !== undefined)
      generation.retainedUntil = new Date(Date.parse(generation.replacedAt) + input.graceMs).toISOString();
  if (Object.keys(state.subdirs).length === 0 || (previous !== null && sameState(previous, state))) {
    const pruned = await pruneGenerations(ctx, index, input.now, { dirty: graceChanged });
    return { generation: previous, created: false, pruned };
  }
  await keepBlobs(ctx, state);
  if (previous !== null) {
    const replacedAt = await earliestCountdownSince(ctx, previous, input.now);
    previous.replacedAt = new Date(replacedAt).toISOString();
    previous.retainedUntil = new Date(replacedAt + input.graceMs).toISOString();
  }
  const generation: Generation = {
    n: (previous?.n ?? 0) + 1,
    time: new Date(input.now).toISOString(),
    source: input.source,
    ...state,
  };
  index.generations.push(generation);
  const pruned = await pruneGenerations(ctx, index, input.now, { dirty: true });
  ctx.logger.info({ generation: generation.n, source: input.source, pruned }, 'recorded metadata generation');
  return { generation, created: true, pruned };
}

/**
 * When the files `previous` lists began to be counted down at the earliest: the first countdown
 * started at or after it was recorded, in any of its subdirs (packages and shards), else now.
 */
async function earliestCountdownSince(
  ctx: GenerationStore,
  previous: Generation,
  now: number,
): Promise<number> {
  const recorded = Date.parse(previous.time);
  let earliest = now;
  for (const subdir of Object.keys(previous.subdirs)) {
    for (const kind of ['packages', 'shards'] as const) {
      const countdowns = await readCountdowns(ctx.store, ctx.channelPrefix, subdir, kind);
      for (const since of Object.values(countdowns))
        if (since >= recorded && since < earliest) earliest = since;
    }
  }
  return earliest;
}

/**
 * Drops the generations whose retention ended (never the current one), writes the index when it
 * changed (or `dirty`), then deletes the blobs no remaining generation needs. Returns the numbers
 * dropped.
 */
export async function pruneGenerations(
  ctx: GenerationStore,
  index: GenerationIndex,
  now: number,
  options: { dirty?: boolean; keep?: (generation: Generation) => boolean } = {},
): Promise<number[]> {
  const keep =
    options.keep ?? ((g: Generation) => g.retainedUntil === undefined || Date.parse(g.retainedUntil) > now);
  const current = currentOf(index);
  const pruned = index.generations.filter((g) => g !== current && !keep(g)).map((g) => g.n);
  if (pruned.length === 0 && options.dirty !== true) return [];
  index.generations = index.generations.filter((g) => g === current || keep(g));
  // The index goes first: a generation is never served once one of its blobs may be gone.
  await writeGenerationIndex(ctx, index);
  if (pruned.length > 0) await deleteUnusedBlobs(ctx, index);
  return pruned;
}

async function deleteUnusedBlobs(ctx: GenerationStore, index: GenerationIndex): Promise<void> {
  const used = new Set<string>();
  for (const generation of index.generations) for (const blob of blobsOf(generation)) used.add(blob);
  const prefix = `${generationsPrefixOf(ctx)}blobs/`;
  const unused: string[] = [];
  for await (const object of ctx.store.list(prefix, { sha256: false })) {
    const sha256 = object.key.slice(prefix.length);
    if (!used.has(sha256)) unused.push(blobKeyOf(ctx, sha256));
  }
  for (const key of unused) await ctx.store.delete(key);
}

/** The grace period when a channel's first generation comes from an import (the config default). */
const DEFAULT_GRACE_MS = 24 * 3_600_000;

/**
 * Records what an import published (a bundle or a folder; docs/design.md §5). An import knows no
 * sync config, so the grace period is the one the last sync recorded.
 */
export async function recordImportedGeneration(
  ctx: GenerationContext,
  subdirs: readonly string[] = [],
): Promise<RecordGenerationResult> {
  const index = await readGenerationIndex(ctx);
  const graceMs = index.generations.length > 0 ? index.graceMs : DEFAULT_GRACE_MS;
  return recordGeneration(ctx, { source: 'import', now: Date.now(), graceMs, subdirs });
}

/**
 * `clean` (and a delta import's deletions) delete unlisted files without waiting (docs/design.md
 * §5, invariant 4), so they end the retention of every generation but the current one before they
 * delete anything.
 */
export async function dropOlderGenerations(ctx: GenerationStore): Promise<number[]> {
  const index = await readGenerationIndex(ctx);
  if (index.generations.length <= 1) return [];
  return pruneGenerations(ctx, index, Date.now(), { keep: () => false });
}
