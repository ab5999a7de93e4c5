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
  const stateKey = `.condasync/state/${ctx.channelPrefix}${input.subdir}/${STATE_FILES[kind]}`;
  const previous = await readState(ctx.store, stateKey);
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
  const body = Buffer.from(JSON.stringify(next));
  await ctx.store.put(stateKey, body, {
    size: body.byteLength,
    sha256: createHash('sha256').update(body).digest('hex'),
  });
  if (deleted.length > 0)
    ctx.logger.info(
      { subdir: input.subdir, deleted: deleted.length },
      `deleted unlisted ${kind} after the grace period`,
    );
  return { pending: Object.keys(next).length, deleted };
}

async function readState(store: ObjectStore, key: string): Promise<Record<string, number>> {
  const object = await store.get(key);
  if (object === null) return {};
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
