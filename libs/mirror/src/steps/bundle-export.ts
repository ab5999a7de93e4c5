import { createHash } from 'node:crypto';
import { writeTar } from '@condasync/codecs';
import type { ObjectStore } from '@condasync/storage';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import {
  BUNDLE_MANIFEST,
  type BundleManifest,
  type BundleMember,
  encodeBundleManifest,
  isChannelPath,
} from './bundle-manifest.ts';
import { hashStoredObject } from './stored-hash.ts';

export interface ChannelObject extends BundleMember {
  etag: string;
}

/**
 * Every object of the channel a client could fetch (metadata, shards, packages), with its size and
 * sha256, in key order. The sha256 comes from the store's listing or head; an object stored without
 * one (S3 listings never carry it) is hashed once, streaming.
 */
export async function listChannelObjects(
  store: ObjectStore,
  channelPrefix: string,
): Promise<ChannelObject[]> {
  const objects: ChannelObject[] = [];
  for await (const info of store.list(channelPrefix)) {
    const path = info.key.slice(channelPrefix.length);
    if (!isChannelPath(path)) continue;
    let sha256 = info.sha256 ?? (await store.head(info.key))?.sha256;
    sha256 ??= (await hashStoredObject(store, info.key)) ?? undefined;
    if (sha256 === undefined) continue; // deleted while we listed
    objects.push({ path, size: info.size, sha256, etag: info.etag });
  }
  return objects;
}

/** The manifest of a bundle of the whole channel. */
export async function fullBundleManifest(
  store: ObjectStore,
  channelPrefix: string,
  channel: string,
): Promise<BundleManifest> {
  const objects = await listChannelObjects(store, channelPrefix);
  if (!objects.some((o) => o.path.endsWith('/repodata.json'))) {
    throw new MirrorError(
      MirrorErrorCode.RepodataInvalid,
      `${store.description} has no published channel at ${channelPrefix || '(its root)'}: no <subdir>/repodata.json to export`,
    );
  }
  return {
    format: 'condasync-bundle',
    version: 1,
    kind: 'full',
    created: new Date().toISOString(),
    source: { store: store.description, channel },
    members: objects.map(({ path, size, sha256 }) => ({ path, size, sha256 })),
    deletions: [],
  };
}

/**
 * The bundle as a tar stream: the manifest, then each member read from the store as it is written,
 * so a bundle of any size costs one chunk of memory and no temporary copy. A member whose bytes
 * changed since the manifest was made (a sync ran meanwhile) stops the stream with an error rather
 * than produce a bundle that its own manifest refutes.
 */
export function bundleChunks(
  store: ObjectStore,
  channelPrefix: string,
  manifest: BundleManifest,
): AsyncGenerator<Uint8Array> {
  return writeTar(bundleEntries(store, channelPrefix, manifest));
}

async function* bundleEntries(store: ObjectStore, channelPrefix: string, manifest: BundleManifest) {
  const head = encodeBundleManifest(manifest);
  yield { path: BUNDLE_MANIFEST, size: head.byteLength, body: head };
  for (const member of manifest.members) {
    yield { path: member.path, size: member.size, body: storedBytes(store, channelPrefix, member) };
  }
}

async function* storedBytes(store: ObjectStore, channelPrefix: string, member: BundleMember) {
  const object = await store.get(`${channelPrefix}${member.path}`);
  if (object === null) throw changedDuringExport(member, 'was deleted');
  const hash = createHash('sha256');
  for await (const chunk of object.body) {
    hash.update(chunk as Uint8Array);
    yield chunk as Uint8Array;
  }
  if (hash.digest('hex') !== member.sha256) throw changedDuringExport(member, 'changed');
}

function changedDuringExport(member: BundleMember, what: string): MirrorError {
  return new MirrorError(
    MirrorErrorCode.Storage,
    `${member.path} ${what} while the bundle was written; export again once no sync is running`,
  );
}
