import { createHash, randomUUID } from 'node:crypto';
import { CodecError } from '@condasync/codecs';
import { parseRepodata } from '@condasync/conda';
import { isStorageError, type ObjectStore } from '@condasync/storage';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import { dropOlderGenerations, recordImportedGeneration } from '../generations/record.ts';
import type { Logger } from '../logger.ts';
import {
  BUNDLE_MANIFEST,
  type BundleManifest,
  type BundleMember,
  parseBundleManifest,
} from './bundle-manifest.ts';
import { type BundleEntry, readManifestEntry } from './bundle-source.ts';
import { hashStoredObject } from './stored-hash.ts';

export interface BundleImportOptions {
  store: ObjectStore;
  /** '' for a mirror_dir holding one channel; `<dest_channel>/` in shared storage. */
  channelPrefix: string;
  logger: Logger;
  signal?: AbortSignal;
}

export interface BundleImportResult {
  kind: BundleManifest['kind'];
  source: BundleManifest['source'];
  members: number;
  bytes: number;
  /** Immutable files (packages, shards) newly written; the others were already stored. */
  stored: number;
  /** Metadata files published, in publication order. */
  published: string[];
  deleted: number;
}

/** Bad members named one per line in the message, up to this many (all of them are in `details`). */
const NAMED_IN_MESSAGE = 20;

/** Packages and shards: immutable and named by content, so storing them early changes nothing a client sees. */
const IMMUTABLE = /^[^/]+\/(?:[^/]+\.(?:conda|tar\.bz2)|shards\/[0-9a-f]{64}\.msgpack\.zst)$/;

/** docs/design.md §4: compressed twins before their JSON, the shard index before repodata, repodata.json last. */
const PUBLICATION_ORDER = [
  'repodata_shards.msgpack.zst',
  'run_exports.json.zst',
  'run_exports.json',
  'current_repodata.json.zst',
  'current_repodata.json',
  'repodata.json.bz2',
  'repodata.json.zst',
  'repodata.json',
];

function publicationRank(path: string): number {
  if (path === 'channeldata.json') return PUBLICATION_ORDER.length + 1;
  return PUBLICATION_ORDER.indexOf(path.slice(path.lastIndexOf('/') + 1)) + 1;
}

/**
 * Publishes a bundle (docs/bundles.md) into a channel. Every member is checked against the manifest
 * (size and sha256) as it streams past, and every record of every repodata.json against the member
 * or stored file it lists; packages and shards go straight to their keys (the store refuses wrong
 * bytes, and nothing lists them yet), other metadata to a staging prefix. Only when everything
 * verified is the metadata published, in publication order (invariant 1); otherwise nothing is
 * published and the error names every bad member. A delta is refused unless the destination
 * publishes exactly the repodata it was built on.
 */
export async function importBundle(
  entries: AsyncIterable<BundleEntry>,
  options: BundleImportOptions,
): Promise<BundleImportResult> {
  const { store, channelPrefix } = options;
  const iterator = entries[Symbol.asyncIterator]();
  const first = await iterator.next().catch((error: unknown) => {
    throw damaged(error);
  });
  if (first.done || first.value.path !== BUNDLE_MANIFEST) {
    throw new MirrorError(
      MirrorErrorCode.BundleInvalid,
      `not a condasync bundle: its first member must be ${BUNDLE_MANIFEST} (found ${first.done ? 'nothing' : first.value.path})`,
    );
  }
  const manifest = parseBundleManifest(await readManifestEntry(first.value));
  if (manifest.kind === 'delta') await checkBase(manifest, store, channelPrefix);

  const staging = `.condasync/import/${randomUUID()}/`;
  const members = new Map(manifest.members.map((m) => [m.path, m]));
  const arrived = new Set<string>();
  const bad: Array<{ path: string; message: string }> = [];
  let stored = 0;
  let bytes = 0;
  try {
    for (;;) {
      const next = await iterator.next().catch((error: unknown) => {
        throw damaged(error);
      });
      if (next.done) break;
      const entry = next.value;
      const member = members.get(entry.path);
      if (member === undefined) {
        bad.push({ path: entry.path, message: 'is not in the manifest' });
        continue;
      }
      if (arrived.has(entry.path)) {
        bad.push({ path: entry.path, message: 'appears twice in the bundle' });
        continue;
      }
      arrived.add(entry.path);
      if (entry.size !== member.size) {
        bad.push({ path: entry.path, message: `is ${entry.size} bytes; the manifest says ${member.size}` });
        continue;
      }
      try {
        if (await storeMember(entry, member, staging, options)) stored++;
        bytes += member.size;
      } catch (error) {
        if (!isMismatch(error)) throw damaged(error);
        bad.push({
          path: entry.path,
          message: `does not match the manifest's size and sha256 (${(error as { code: string }).code})`,
        });
      }
    }
    for (const path of members.keys()) {
      if (!arrived.has(path)) bad.push({ path, message: 'is in the manifest but not in the bundle' });
    }
    if (bad.length === 0) bad.push(...(await checkRecords(manifest, members, staging, options)));
    if (bad.length > 0) throw refused(bad);

    const published: string[] = [];
    const metadata = manifest.members
      .filter((m) => !IMMUTABLE.test(m.path))
      .sort((a, b) => publicationRank(a.path) - publicationRank(b.path) || (a.path < b.path ? -1 : 1));
    for (const member of metadata) {
      const object = await store.get(`${staging}${member.path}`);
      if (object === null) throw new MirrorError(MirrorErrorCode.Storage, `staged ${member.path} vanished`);
      await store.put(`${channelPrefix}${member.path}`, object.body, {
        size: member.size,
        sha256: member.sha256,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      published.push(member.path);
    }
    // Deletions come after the metadata that no longer lists them (invariant 4); the exporting
    // sync already waited out their grace period, but this channel's older generations may list them.
    const generations = { store, channelPrefix, logger: options.logger };
    if (manifest.deletions.length > 0) await dropOlderGenerations(generations);
    for (const path of manifest.deletions) await store.delete(`${channelPrefix}${path}`);
    await recordImportedGeneration(generations);
    options.logger.info(
      { kind: manifest.kind, members: manifest.members.length, stored, published: published.length },
      'bundle imported',
    );
    return {
      kind: manifest.kind,
      source: manifest.source,
      members: manifest.members.length,
      bytes,
      stored,
      published,
      deleted: manifest.deletions.length,
    };
  } finally {
    await dropPrefix(store, staging);
  }
}

/** Writes one verified member; true when an immutable file was newly stored. */
async function storeMember(
  entry: BundleEntry,
  member: BundleMember,
  staging: string,
  options: BundleImportOptions,
): Promise<boolean> {
  const { store, channelPrefix } = options;
  const putOptions = {
    size: member.size,
    sha256: member.sha256,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  if (!IMMUTABLE.test(member.path)) {
    await store.put(`${staging}${member.path}`, entry.body(), putOptions);
    return false;
  }
  const key = `${channelPrefix}${member.path}`;
  const existing = await store.head(key);
  if (existing !== null && existing.size === member.size && existing.sha256 === member.sha256) {
    // Already here: still read the bundle's bytes, so a damaged member is reported either way.
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of entry.body()) {
      hash.update(chunk);
      size += chunk.byteLength;
    }
    if (size !== member.size || hash.digest('hex') !== member.sha256) {
      throw new MirrorError(MirrorErrorCode.ChecksumMismatch, `${member.path} does not match the manifest`);
    }
    return false;
  }
  await store.put(key, entry.body(), putOptions);
  return true;
}

/** Every record of each staged repodata.json must match the member, or the stored file, it lists. */
async function checkRecords(
  manifest: BundleManifest,
  members: ReadonlyMap<string, BundleMember>,
  staging: string,
  options: BundleImportOptions,
): Promise<Array<{ path: string; message: string }>> {
  const bad: Array<{ path: string; message: string }> = [];
  for (const repodata of manifest.members.filter((m) => /^[^/]+\/repodata\.json$/.test(m.path))) {
    const subdir = repodata.path.slice(0, repodata.path.indexOf('/'));
    const object = await options.store.get(`${staging}${repodata.path}`);
    if (object === null) throw new MirrorError(MirrorErrorCode.Storage, `staged ${repodata.path} vanished`);
    const parsed = parseRepodata(object.body, { subdir });
    for (let next = await parsed.next(); !next.done; next = await parsed.next()) {
      const { filename, record } = next.value;
      const path = `${subdir}/${filename}`;
      const member = members.get(path) ?? (await storedFile(options, path));
      if (member === null) {
        bad.push({
          path,
          message: `is listed in ${repodata.path} but neither in the bundle nor at the destination`,
        });
      } else if (
        member.size !== record.size ||
        (record.sha256 !== undefined && member.sha256 !== record.sha256)
      ) {
        bad.push({ path, message: `does not match its record in ${repodata.path} (size or sha256)` });
      }
    }
  }
  return bad;
}

async function storedFile(
  options: BundleImportOptions,
  path: string,
): Promise<Omit<BundleMember, 'path'> | null> {
  const key = `${options.channelPrefix}${path}`;
  const info = await options.store.head(key);
  if (info === null) return null;
  return { size: info.size, sha256: info.sha256 ?? (await hashStoredObject(options.store, key)) ?? '' };
}

/** A delta applies only on top of exactly the repodata it was made from. */
async function checkBase(manifest: BundleManifest, store: ObjectStore, channelPrefix: string): Promise<void> {
  const problems: Array<{ path: string; message: string }> = [];
  for (const [subdir, expected] of Object.entries(manifest.base ?? {})) {
    const key = `${channelPrefix}${subdir}/repodata.json`;
    const info = await store.head(key);
    const actual = info === null ? null : (info.sha256 ?? (await hashStoredObject(store, key)));
    if (actual !== expected) {
      problems.push({
        path: `${subdir}/repodata.json`,
        message: `the delta was made on top of ${expected ?? 'no repodata.json'}; the destination publishes ${actual ?? 'none'}`,
      });
    }
  }
  if (problems.length > 0) {
    throw new MirrorError(
      MirrorErrorCode.BundleBaseMismatch,
      `the delta does not apply to this destination (import the deltas before it first, or a full bundle): ${problems
        .map((p) => `${p.path}: ${p.message}`)
        .join('; ')}`,
      { details: problems },
    );
  }
}

function isMismatch(error: unknown): boolean {
  if (error instanceof MirrorError) return error.code === MirrorErrorCode.ChecksumMismatch;
  return isStorageError(error, 'CHECKSUM_MISMATCH') || isStorageError(error, 'SIZE_MISMATCH');
}

/** A tar that breaks off or is malformed cannot be read further: that ends the import, unpublished. */
function damaged(error: unknown): unknown {
  const codec = error instanceof CodecError ? error : (error as Error | undefined)?.cause;
  if (!(codec instanceof CodecError)) return error;
  return new MirrorError(
    MirrorErrorCode.BundleInvalid,
    `the bundle is damaged (${codec.message}); nothing was published`,
    { cause: error, details: [{ path: '(tar)', message: codec.message }] },
  );
}

function refused(bad: Array<{ path: string; message: string }>): MirrorError {
  const named = bad.slice(0, NAMED_IN_MESSAGE).map((b) => `  ${b.path} ${b.message}`);
  if (bad.length > NAMED_IN_MESSAGE) named.push(`  … and ${bad.length - NAMED_IN_MESSAGE} more`);
  return new MirrorError(
    MirrorErrorCode.BundleInvalid,
    `the bundle failed verification; nothing was published. Bad members:\n${named.join('\n')}`,
    { details: bad },
  );
}

async function dropPrefix(store: ObjectStore, prefix: string): Promise<void> {
  for await (const info of store.list(prefix, { sha256: false })) await store.delete(info.key);
}
