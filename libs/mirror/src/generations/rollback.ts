import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createZstdDecompress } from 'node:zlib';
import { decodeShardIndex, parseRepodata, SHARD_FILE_SUFFIX, SHARD_INDEX_FILENAME } from '@condasync/conda';
import { type ConfigProblem, MirrorError, MirrorErrorCode } from '../errors.ts';
import { forgetCountdowns } from '../steps/deletions.ts';
import {
  deleteIfPresent,
  type HashedFile,
  METADATA_CACHE_CONTROL,
  publishBz2Twin,
  writeHashed,
} from '../steps/finalize/publish.ts';
import { SHARDS_FOLDER } from '../steps/finalize/shards.ts';
import { blobKeyOf, type GenerationFile, readGenerationIndex, retainedGeneration } from './layout.ts';
import { type GenerationContext, recordGeneration } from './record.ts';
import { CHANNEL_FILES, readPublishedState, SINGLE_FILES, TWINNED_DOCUMENTS } from './snapshot.ts';

export interface RollbackInput {
  /** The generation to publish again. */
  generation: number;
  /** The clock of the deletion countdowns (ms). */
  now: number;
  /** Scratch folder for the decompressed documents. */
  tempDir: string;
  signal?: AbortSignal;
}

export interface RollbackResult {
  /** The generation rolled back to. */
  from: number;
  /** The new current generation: `from`'s metadata, published again. */
  generation: number;
  /** False when the channel already published exactly `from`'s metadata. */
  changed: boolean;
  subdirs: string[];
  /** Package and shard files whose deletion countdown stopped because they are listed again. */
  countdownsStopped: number;
}

/** Listed files named in a refusal's message; `details` has them all. */
const NAMED_IN_MESSAGE = 10;

/**
 * Publishes generation `n`'s metadata again as a new generation (docs/design.md §5). The caller
 * holds the channel's single writer (invariant 6). Every package and shard `n` lists must be in
 * the store with its listed size (invariant 1), else GENERATION_INCOMPLETE names the missing files
 * and nothing is published. Each subdir's files go out in the publication order of §4 (the shard
 * index, twins before their JSON, repodata.json last), channeldata.json after every subdir; the
 * deletion countdowns of the files listed again stop (invariant 4).
 */
export async function rollbackToGeneration(
  ctx: GenerationContext,
  input: RollbackInput,
): Promise<RollbackResult> {
  const index = await readGenerationIndex(ctx);
  const target = retainedGeneration(index, input.generation, input.now);
  const current = index.generations.at(-1)!;
  await mkdir(input.tempDir, { recursive: true });
  const stem = join(input.tempDir, `rollback-${process.pid}-${Date.now()}`);
  const scratch: string[] = [];
  try {
    const documents = new Map<string, Map<string, HashedFile>>();
    const listed = new Map<string, { packages: Set<string>; shards: Set<string> }>();
    const missing: ConfigProblem[] = [];
    for (const [subdir, files] of Object.entries(target.subdirs)) {
      input.signal?.throwIfAborted();
      const materialised = new Map<string, HashedFile>();
      for (const document of TWINNED_DOCUMENTS) {
        const file = files[document];
        if (file === undefined) continue;
        const path = `${stem}-${subdir}-${document}`;
        scratch.push(path, `${path}.bz2`);
        materialised.set(document, await materialise(ctx, file, files, path));
      }
      documents.set(subdir, materialised);
      const found = await checkListedFiles(ctx, subdir, files, materialised.get('repodata.json')!, missing);
      listed.set(subdir, found);
    }
    if (missing.length > 0) {
      const named = missing.slice(0, NAMED_IN_MESSAGE).map((p) => `${p.path} (${p.message})`);
      const more = missing.length > NAMED_IN_MESSAGE ? ` and ${missing.length - NAMED_IN_MESSAGE} more` : '';
      throw new MirrorError(
        MirrorErrorCode.GenerationIncomplete,
        `cannot roll back to generation ${target.n}: it lists ${missing.length} file(s) the store no longer holds: ${named.join(', ')}${more}; nothing was published`,
        { details: missing },
      );
    }

    const published = await readPublishedState(ctx, Object.keys(target.subdirs));
    for (const [subdir, files] of Object.entries(target.subdirs)) {
      input.signal?.throwIfAborted();
      await republishSubdir(ctx, subdir, files, documents.get(subdir)!, input.signal);
    }
    for (const subdir of Object.keys(published.subdirs)) {
      if (target.subdirs[subdir] === undefined) await unpublishSubdir(ctx, subdir);
    }
    for (const name of CHANNEL_FILES) {
      const file = target.channel[name];
      if (file === undefined) await ctx.store.delete(`${ctx.channelPrefix}${name}`);
      else await placeBlob(ctx, file, `${ctx.channelPrefix}${name}`);
    }

    let countdownsStopped = 0;
    for (const [subdir, found] of listed) {
      countdownsStopped += await forgetCountdowns(
        ctx.store,
        ctx.channelPrefix,
        subdir,
        'packages',
        found.packages,
      );
      countdownsStopped += await forgetCountdowns(
        ctx.store,
        ctx.channelPrefix,
        subdir,
        'shards',
        found.shards,
      );
    }
    const recorded = await recordGeneration(ctx, {
      source: `rollback of ${target.n}`,
      now: input.now,
      graceMs: index.graceMs,
      subdirs: Object.keys(target.subdirs),
    });
    ctx.logger.info(
      { from: target.n, generation: recorded.generation?.n, countdownsStopped },
      'rolled back metadata generation',
    );
    return {
      from: target.n,
      generation: recorded.generation?.n ?? current.n,
      changed: recorded.created,
      subdirs: Object.keys(target.subdirs),
      countdownsStopped,
    };
  } finally {
    await Promise.all(scratch.map((path) => rm(path, { force: true })));
  }
}

/** A document of the generation as a scratch file, checked against the sha256 the generation recorded. */
async function materialise(
  ctx: GenerationContext,
  file: GenerationFile,
  files: Record<string, GenerationFile>,
  path: string,
): Promise<HashedFile> {
  const stored = file.from === undefined ? file : files[file.from]!;
  const object = await ctx.store.get(blobKeyOf(ctx, stored.sha256));
  if (object === null)
    throw new MirrorError(MirrorErrorCode.Storage, `the generation's blob ${stored.sha256} is missing`);
  const hashed = await writeHashed(
    file.from === undefined ? object.body : object.body.pipe(createZstdDecompress()),
    path,
  );
  if (hashed.sha256 !== file.sha256)
    throw new MirrorError(
      MirrorErrorCode.Storage,
      `the generation's copy of a document has sha256 ${hashed.sha256}, expected ${file.sha256}`,
    );
  return hashed;
}

/** The packages and shards the subdir's generation lists, each checked against the store. */
async function checkListedFiles(
  ctx: GenerationContext,
  subdir: string,
  files: Record<string, GenerationFile>,
  repodata: HashedFile,
  missing: ConfigProblem[],
): Promise<{ packages: Set<string>; shards: Set<string> }> {
  const subdirPrefix = `${ctx.channelPrefix}${subdir}/`;
  const stored = new Map<string, number>();
  for await (const object of ctx.store.list(subdirPrefix, { sha256: false }))
    stored.set(object.key.slice(subdirPrefix.length), object.size);
  const packages = new Set<string>();
  for await (const entry of parseRepodata(createReadStream(repodata.path), { subdir })) {
    packages.add(entry.filename);
    const size = stored.get(entry.filename);
    if (size === undefined) missing.push({ path: `${subdir}/${entry.filename}`, message: 'missing' });
    else if (entry.record.size !== undefined && size !== entry.record.size)
      missing.push({
        path: `${subdir}/${entry.filename}`,
        message: `stored with ${size} bytes, listed with ${entry.record.size}`,
      });
  }
  const shards = new Set<string>();
  const shardIndex = files[SHARD_INDEX_FILENAME];
  if (shardIndex !== undefined) {
    const object = await ctx.store.get(blobKeyOf(ctx, shardIndex.sha256));
    if (object === null)
      throw new MirrorError(MirrorErrorCode.Storage, `the generation's blob ${shardIndex.sha256} is missing`);
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(chunk as Buffer);
    for (const hash of decodeShardIndex(Buffer.concat(chunks), { subdir }).shards.values()) {
      const name = `${SHARDS_FOLDER}${hash}${SHARD_FILE_SUFFIX}`;
      shards.add(name);
      if (!stored.has(name)) missing.push({ path: `${subdir}/${name}`, message: 'missing' });
    }
  }
  return { packages, shards };
}

async function republishSubdir(
  ctx: GenerationContext,
  subdir: string,
  files: Record<string, GenerationFile>,
  documents: ReadonlyMap<string, HashedFile>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const prefix = `${ctx.channelPrefix}${subdir}/`;
  const publish = { store: ctx.store, signal };
  for (const name of SINGLE_FILES) {
    const file = files[name];
    if (file !== undefined) await placeBlob(ctx, file, `${prefix}${name}`);
  }
  const removeAfter: string[] = [];
  for (const document of TWINNED_DOCUMENTS) {
    const json = documents.get(document);
    if (json === undefined) {
      removeAfter.push(`${prefix}${document}`, `${prefix}${document}.zst`);
      continue;
    }
    if (document === 'repodata.json') await publishBz2Twin(`${prefix}${document}`, json, 'follow', publish);
    const zst = files[`${document}.zst`];
    // A twin must never be older than its JSON: one the generation lacks goes before the JSON.
    if (zst === undefined) await deleteIfPresent([`${prefix}${document}.zst`], publish);
    else await placeBlob(ctx, zst, `${prefix}${document}.zst`);
    await putJson(ctx, json, `${prefix}${document}`, signal);
  }
  for (const name of SINGLE_FILES) if (files[name] === undefined) removeAfter.push(`${prefix}${name}`);
  // Outputs the generation did not have must answer 404, as after a sync that turned them off.
  await deleteIfPresent(removeAfter, publish);
}

/** A subdir the generation did not publish: repodata.json goes first, so no client is sent to the rest. */
async function unpublishSubdir(ctx: GenerationContext, subdir: string): Promise<void> {
  const prefix = `${ctx.channelPrefix}${subdir}/`;
  const keys = ['repodata.json', 'repodata.json.zst', 'repodata.json.bz2', ...SINGLE_FILES];
  for (const document of TWINNED_DOCUMENTS.slice(1)) keys.push(document, `${document}.zst`);
  await deleteIfPresent(
    keys.map((name) => `${prefix}${name}`),
    { store: ctx.store },
  );
}

async function placeBlob(ctx: GenerationContext, file: GenerationFile, key: string): Promise<void> {
  if ((await ctx.store.head(key))?.sha256 === file.sha256) return;
  if (!(await ctx.store.copy(blobKeyOf(ctx, file.sha256), key)))
    throw new MirrorError(
      MirrorErrorCode.Storage,
      `the generation's blob ${file.sha256} for ${key} is missing`,
    );
}

async function putJson(
  ctx: GenerationContext,
  json: HashedFile,
  key: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  if ((await ctx.store.head(key))?.sha256 === json.sha256) return;
  // Small documents are read whole; repodata.json streams from its scratch file.
  const body = json.size < 1 << 20 ? await readFile(json.path) : createReadStream(json.path);
  await ctx.store.put(key, body, {
    size: json.size,
    sha256: json.sha256,
    contentType: 'application/json',
    cacheControl: METADATA_CACHE_CONTROL,
    ...(signal ? { signal } : {}),
  });
}
