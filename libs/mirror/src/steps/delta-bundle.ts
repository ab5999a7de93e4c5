import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '@condasync/storage';
import type { Logger } from '../logger.ts';
import { bundleChunks } from './bundle-export.ts';
import { type BundleManifest, type BundleMember, isChannelPath } from './bundle-manifest.ts';
import { hashStoredObject } from './stored-hash.ts';

/** What the channel held before a sync: enough to tell afterwards what the sync changed. */
export interface ChannelSnapshot {
  /** Every fetchable object's size and ETag (a rewrite gives a new ETag; finalize rewrites only changed bytes). */
  objects: Map<string, { size: number; etag: string }>;
  /** sha256 of each subdir's repodata.json: the base a delta names. */
  repodata: Map<string, string>;
}

/** Lists the channel without reading any sidecar: cheap enough to run around every sync. */
export async function snapshotChannel(store: ObjectStore, channelPrefix: string): Promise<ChannelSnapshot> {
  const snapshot: ChannelSnapshot = { objects: new Map(), repodata: new Map() };
  for await (const info of store.list(channelPrefix, { sha256: false })) {
    const path = info.key.slice(channelPrefix.length);
    if (!isChannelPath(path)) continue;
    snapshot.objects.set(path, { size: info.size, etag: info.etag });
    if (/^[^/]+\/repodata\.json$/.test(path)) {
      const sha256 = await sha256Of(store, info.key);
      if (sha256 !== null) snapshot.repodata.set(path.slice(0, path.indexOf('/')), sha256);
    }
  }
  return snapshot;
}

export interface DeltaContext {
  store: ObjectStore;
  channelPrefix: string;
  channel: string;
  deltaDir: string;
  logger: Logger;
  now?: () => number;
}

/**
 * Writes the changes since `before` (new and rewritten files, deletions) as a delta bundle in
 * `deltaDir`, named by time so deltas sort in the order they must be imported. Returns its path,
 * or null when the sync changed nothing. The file appears under its name only when complete.
 */
export async function writeDeltaBundle(
  context: DeltaContext,
  before: ChannelSnapshot,
): Promise<string | null> {
  const { store, channelPrefix } = context;
  const after = await snapshotChannel(store, channelPrefix);
  const members: BundleMember[] = [];
  for (const [path, now] of after.objects) {
    const then = before.objects.get(path);
    if (then !== undefined && then.etag === now.etag && then.size === now.size) continue;
    const sha256 = await sha256Of(store, `${channelPrefix}${path}`);
    if (sha256 !== null) members.push({ path, size: now.size, sha256 });
  }
  const deletions = [...before.objects.keys()].filter((path) => !after.objects.has(path));
  if (members.length === 0 && deletions.length === 0) {
    context.logger.info({}, 'delta: nothing changed, no bundle written');
    return null;
  }
  const base: Record<string, string | null> = {};
  for (const subdir of new Set([...before.repodata.keys(), ...after.repodata.keys()]).values()) {
    base[subdir] = before.repodata.get(subdir) ?? null;
  }
  const created = new Date(context.now?.() ?? Date.now());
  const manifest: BundleManifest = {
    format: 'condasync-bundle',
    version: 1,
    kind: 'delta',
    created: created.toISOString(),
    source: { store: store.description, channel: context.channel },
    base,
    members,
    deletions,
  };
  const dir = resolve(context.deltaDir);
  await mkdir(dir, { recursive: true });
  const stamp = created.toISOString().replace(/[-:.]/g, '');
  const path = join(dir, `condasync-delta-${stamp}.tar`);
  const partial = `${path}.partial`;
  try {
    await pipeline(Readable.from(bundleChunks(store, channelPrefix, manifest)), createWriteStream(partial));
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  context.logger.info({ path, members: members.length, deletions: deletions.length }, 'delta bundle written');
  return path;
}

async function sha256Of(store: ObjectStore, key: string): Promise<string | null> {
  return (await store.head(key))?.sha256 ?? (await hashStoredObject(store, key));
}
