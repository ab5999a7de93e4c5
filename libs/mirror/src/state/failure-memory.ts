import { createHash } from 'node:crypto';
import type { ObjectStore } from '@condasync/storage';
import { readStateJson, writeStateJson } from './state-file.ts';

/**
 * A package that failed for good (404, corrupt upstream bytes) on the upstream record it had then.
 * A re-run does not fetch it again while upstream lists the same record: the answer would be the
 * same, and a no-op re-run would pay its retries every time. Transient failures are never kept.
 */
export interface RememberedFailure {
  filename: string;
  /** sha256 over the upstream record's channel, size, sha256 and md5 (upstreamDigest). */
  upstream: string;
  kind: 'permanent' | 'integrity';
  code: string;
  reason: string;
  /** When it was last tried and failed, ms since the epoch. */
  since: number;
}

export type FailureKind = RememberedFailure['kind'] | 'transient' | 'cancelled';

/** Failures worth remembering: no retry of the same upstream record can end otherwise. */
export const isLastingFailure = (kind: FailureKind): kind is RememberedFailure['kind'] =>
  kind === 'permanent' || kind === 'integrity';

const stateKey = (channelPrefix: string, subdir: string): string =>
  `.condasync/state/${channelPrefix}${subdir}/failures.json`;

/** What upstream says about a file: when any of it changes, a remembered failure is tried again. */
export function upstreamDigest(record: {
  channel: string;
  size: number;
  sha256?: string | undefined;
  md5?: string | undefined;
}): string {
  return createHash('sha256')
    .update(JSON.stringify([record.channel, record.size, record.sha256 ?? null, record.md5 ?? null]))
    .digest('hex');
}

/** The subdir's remembered failures by filename; empty when none (or the state is unreadable). */
export async function readFailureMemory(
  store: ObjectStore,
  channelPrefix: string,
  subdir: string,
): Promise<Map<string, RememberedFailure>> {
  const state = await readStateJson(store, stateKey(channelPrefix, subdir));
  const entries = (state as { failures?: unknown } | null)?.failures;
  const remembered = new Map<string, RememberedFailure>();
  if (!Array.isArray(entries)) return remembered;
  for (const entry of entries as Partial<RememberedFailure>[]) {
    if (typeof entry?.filename === 'string' && typeof entry.upstream === 'string' && entry.kind)
      remembered.set(entry.filename, entry as RememberedFailure);
  }
  return remembered;
}

/** Replaces the subdir's memory with `failures`; writes nothing when it already holds exactly them. */
export async function writeFailureMemory(
  store: ObjectStore,
  channelPrefix: string,
  subdir: string,
  failures: readonly RememberedFailure[],
  previous: ReadonlyMap<string, RememberedFailure>,
): Promise<void> {
  const sorted = [...failures].sort((a, b) =>
    a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0,
  );
  const same =
    sorted.length === previous.size &&
    sorted.every((f) => JSON.stringify(previous.get(f.filename)) === JSON.stringify(f));
  if (same) return;
  if (sorted.length === 0) {
    await store.delete(stateKey(channelPrefix, subdir));
    return;
  }
  await writeStateJson(store, stateKey(channelPrefix, subdir), { failures: sorted });
}
