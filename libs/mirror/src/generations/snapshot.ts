import { createHash } from 'node:crypto';
import { SHARD_INDEX_FILENAME } from '@condasync/conda';
import type { ObjectInfo, ObjectStore } from '@condasync/storage';
import { KNOWN_SUBDIRS } from '../config/vocabulary.ts';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import { blobKeyOf, type Generation, type GenerationFile, type GenerationStore } from './layout.ts';

/** JSON documents a subdir may publish, each kept as its `.zst` twin when there is one. */
export const TWINNED_DOCUMENTS = ['repodata.json', 'current_repodata.json', 'run_exports.json'] as const;
/** Files kept as they are. `repodata.json.bz2` is not kept: a rollback rebuilds it from the JSON. */
export const SINGLE_FILES = [SHARD_INDEX_FILENAME] as const;
export const CHANNEL_FILES = ['channeldata.json'] as const;

/** What a channel publishes now, as a generation would record it (nothing copied yet). */
export interface PublishedState {
  subdirs: Generation['subdirs'];
  channel: Generation['channel'];
}

/**
 * Reads what the channel publishes: every subdir with a repodata.json among the known conda
 * subdirs and `extraSubdirs`. Costs a few HEADs per subdir; no document is read.
 */
export async function readPublishedState(
  ctx: GenerationStore,
  extraSubdirs: readonly string[],
): Promise<PublishedState> {
  const candidates = [...new Set<string>([...KNOWN_SUBDIRS, ...extraSubdirs])].sort();
  const subdirs: PublishedState['subdirs'] = {};
  await Promise.all(
    candidates.map(async (subdir) => {
      const files = await subdirFiles(ctx, `${ctx.channelPrefix}${subdir}/`);
      if (files !== null) subdirs[subdir] = files;
    }),
  );
  const channel: PublishedState['channel'] = {};
  for (const name of CHANNEL_FILES) {
    const file = await fileOf(ctx.store, `${ctx.channelPrefix}${name}`);
    if (file !== null) channel[name] = file;
  }
  return { subdirs: Object.fromEntries(Object.entries(subdirs).sort()), channel };
}

async function subdirFiles(
  ctx: GenerationStore,
  subdirPrefix: string,
): Promise<Record<string, GenerationFile> | null> {
  const files: Record<string, GenerationFile> = {};
  for (const document of TWINNED_DOCUMENTS) {
    const json = await fileOf(ctx.store, `${subdirPrefix}${document}`);
    if (json === null) {
      if (document === 'repodata.json') return null;
      continue;
    }
    const zst = await fileOf(ctx.store, `${subdirPrefix}${document}.zst`);
    if (zst === null) files[document] = json;
    else {
      files[`${document}.zst`] = zst;
      files[document] = { ...json, from: `${document}.zst` };
    }
  }
  for (const name of SINGLE_FILES) {
    const file = await fileOf(ctx.store, `${subdirPrefix}${name}`);
    if (file !== null) files[name] = file;
  }
  return files;
}

async function fileOf(store: ObjectStore, key: string): Promise<GenerationFile | null> {
  const info = await store.head(key);
  if (info === null) return null;
  return { sha256: info.sha256 ?? (await hashObject(store, key, info)), size: info.size };
}

/** The sha256 of an object whose store did not record one (written by another tool). */
async function hashObject(store: ObjectStore, key: string, info: ObjectInfo): Promise<string> {
  const object = await store.get(key);
  if (object === null)
    throw new MirrorError(
      MirrorErrorCode.Storage,
      `${info.key} disappeared while its generation was recorded`,
    );
  const hash = createHash('sha256');
  for await (const chunk of object.body) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** True when two states publish the same bytes everywhere. */
export function sameState(a: PublishedState, b: PublishedState): boolean {
  return canonical(a) === canonical(b);
}

function canonical(state: PublishedState): string {
  const files = (record: Record<string, GenerationFile>) =>
    Object.entries(record)
      .map(([name, file]) => `${name}=${file.sha256}`)
      .sort()
      .join(',');
  return JSON.stringify([
    Object.entries(state.subdirs)
      .map(([subdir, record]) => `${subdir}:${files(record)}`)
      .sort(),
    files(state.channel),
  ]);
}

/**
 * Keeps the bytes of every file of `state` as a blob, copied inside the store (S3 CopyObject, a
 * hard link on the filesystem): a 500 k-record subdir costs a copy of its `.zst`, never of its
 * JSON. A blob already kept (an unchanged subdir, a rollback) is not copied again.
 */
export async function keepBlobs(ctx: GenerationStore, state: PublishedState): Promise<void> {
  const copies: Array<[from: string, sha256: string]> = [];
  for (const [subdir, files] of Object.entries(state.subdirs)) {
    for (const [name, file] of Object.entries(files))
      if (file.from === undefined) copies.push([`${ctx.channelPrefix}${subdir}/${name}`, file.sha256]);
  }
  for (const [name, file] of Object.entries(state.channel))
    copies.push([`${ctx.channelPrefix}${name}`, file.sha256]);
  for (const [from, sha256] of copies) {
    const blob = blobKeyOf(ctx, sha256);
    if ((await ctx.store.head(blob)) !== null) continue;
    await ctx.store.copy(from, blob);
  }
}

/** Every blob a generation needs. */
export function blobsOf(generation: Pick<Generation, 'subdirs' | 'channel'>): Set<string> {
  const blobs = new Set<string>();
  for (const files of Object.values(generation.subdirs))
    for (const file of Object.values(files)) if (file.from === undefined) blobs.add(file.sha256);
  for (const file of Object.values(generation.channel)) blobs.add(file.sha256);
  return blobs;
}
