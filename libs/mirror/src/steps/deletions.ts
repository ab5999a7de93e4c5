import { createHash } from 'node:crypto';
import type { ObjectStore } from '@condasync/storage';
import type { Logger } from '../logger.ts';

/**
 * What is counted down: package files (listed by repodata.json) or shard files (listed by the
 * shard index, under `shards/`). Each kind keeps its own state file, so one never resets the other.
 */
export type DeletionKind = 'packages' | 'shards';

export interface DeletionInput {
  subdir: string;
  /**
   * Files in the store that the just-published metadata no longer lists, relative to the subdir
   * (`foo-1.0-0.conda`, `shards/<sha256>.msgpack.zst`).
   */
  unlisted: ReadonlyArray<{ filename: string }>;
  graceMs: number;
  now: number;
  /** Default `packages`. */
  kind?: DeletionKind;
}

const STATE_FILES: Readonly<Record<DeletionKind, string>> = {
  packages: 'unlisted.json',
  shards: 'unlisted-shards.json',
};

export interface DeletionResult {
  /** Files waiting for their grace period to end. */
  pending: number;
  deleted: string[];
}

/**
 * Deletes unlisted files only once they have been unlisted for the grace period (docs/design.md
 * §5, invariant 4), so clients holding a cached older repodata or shard index can still download
 * them. Must run after the new metadata is published. The first-unlisted times live in the store,
 * so any worker (or a later run) continues the countdown.
 */
export async function applyDeletionGrace(
  input: DeletionInput,
  ctx: { store: ObjectStore; channelPrefix: string; logger: Logger },
): Promise<DeletionResult> {
  const kind = input.kind ?? 'packages';
  const stateKey = stateKeyOf(ctx.channelPrefix, input.subdir, kind);
  const stored = await readStoredState(ctx.store, stateKey);
  const previous = stored ?? {};
  const next: Record<string, number> = {};
  const deleted: string[] = [];
  for (const { filename } of input.unlisted) {
    const since = previous[filename] ?? input.now;
    if (input.now - since >= input.graceMs) {
      await ctx.store.delete(`${ctx.channelPrefix}${input.subdir}/${filename}`);
      deleted.push(filename);
    } else {
      next[filename] = since;
    }
  }
  // A re-run that changes no countdown writes nothing (a no-op sync must not touch the store).
  if (stored === null || JSON.stringify(stored) !== JSON.stringify(next))
    await writeState(ctx.store, stateKey, next);
  if (deleted.length > 0)
    ctx.logger.info(
      { subdir: input.subdir, deleted: deleted.length },
      `deleted unlisted ${kind} after the grace period`,
    );
  return { pending: Object.keys(next).length, deleted };
}

/** The countdowns of one subdir: filename → when it was first found unlisted (ms). */
export function readCountdowns(
  store: ObjectStore,
  channelPrefix: string,
  subdir: string,
  kind: DeletionKind,
): Promise<Record<string, number>> {
  return readState(store, stateKeyOf(channelPrefix, subdir, kind));
}

/**
 * Stops the countdowns of files listed again by metadata published outside a sync (a rollback of
 * docs/design.md §5), so a file the republished metadata lists is never deleted under it.
 */
export async function forgetCountdowns(
  store: ObjectStore,
  channelPrefix: string,
  subdir: string,
  kind: DeletionKind,
  listed: ReadonlySet<string>,
): Promise<number> {
  const key = stateKeyOf(channelPrefix, subdir, kind);
  const state = await readState(store, key);
  const kept = Object.fromEntries(Object.entries(state).filter(([filename]) => !listed.has(filename)));
  const forgotten = Object.keys(state).length - Object.keys(kept).length;
  if (forgotten > 0) await writeState(store, key, kept);
  return forgotten;
}

function stateKeyOf(channelPrefix: string, subdir: string, kind: DeletionKind): string {
  return `.condasync/state/${channelPrefix}${subdir}/${STATE_FILES[kind]}`;
}

async function writeState(store: ObjectStore, key: string, state: Record<string, number>): Promise<void> {
  const body = Buffer.from(JSON.stringify(state));
  await store.put(key, body, {
    size: body.byteLength,
    sha256: createHash('sha256').update(body).digest('hex'),
  });
}

async function readState(store: ObjectStore, key: string): Promise<Record<string, number>> {
  return (await readStoredState(store, key)) ?? {};
}

/** The countdowns as stored; null when there is no state file yet. */
async function readStoredState(store: ObjectStore, key: string): Promise<Record<string, number> | null> {
  const object = await store.get(key);
  if (object === null) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, number>) : {};
  } catch {
    // A damaged state file only restarts the countdown; it must not block publishing.
    return {};
  }
}
