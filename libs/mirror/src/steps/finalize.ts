import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  canonicalRecordJson,
  compareFilenames,
  compressZstd,
  type PackageRecordJson,
  writeRepodata,
} from '@condasync/conda';
import type { ObjectStore } from '@condasync/storage';
import type { Logger } from '../logger.ts';

export interface FinalizeInput {
  subdir: string;
  info: Record<string, unknown>;
  removed: readonly string[];
  /** The records to publish: every one of them is already in the store, verified. */
  records:
    | Iterable<[filename: string, record: PackageRecordJson]>
    | AsyncIterable<[filename: string, record: PackageRecordJson]>;
  zstdLevel: number;
}

export interface FinalizeContext {
  store: ObjectStore;
  channelPrefix: string;
  tempDir: string;
  logger: Logger;
  signal?: AbortSignal;
}

export interface FinalizeResult {
  subdir: string;
  records: number;
  /** False when the published repodata already had exactly these bytes (nothing rewritten). */
  changed: boolean;
  sha256: string;
  bytes: number;
}

/** Short max-age for metadata, so clients see a new sync within a minute but still cache between runs. */
const METADATA_CACHE_CONTROL = 'public, max-age=60';

/**
 * Publishes a subdir's repodata.json and repodata.json.zst. The documents are built in scratch
 * files (they can be hundreds of MB), hashed, and written only when their bytes changed; the .zst
 * goes first and repodata.json last, after every package it lists is in the store.
 */
export async function finalizeSubdir(input: FinalizeInput, ctx: FinalizeContext): Promise<FinalizeResult> {
  await mkdir(ctx.tempDir, { recursive: true });
  const stem = join(ctx.tempDir, `${process.pid}-${Date.now()}-${input.subdir}`);
  const jsonPath = `${stem}-repodata.json`;
  const zstPath = `${stem}-repodata.json.zst`;
  try {
    const { packages, packagesConda, count } = await splitAndSort(input.records);
    const json = await writeHashed(
      Readable.from(
        writeRepodata({
          subdir: input.subdir,
          info: input.info,
          removed: input.removed,
          packages,
          packagesConda,
        }),
      ),
      jsonPath,
    );
    const jsonKey = `${ctx.channelPrefix}${input.subdir}/repodata.json`;
    const zstKey = `${jsonKey}.zst`;
    const [currentJson, currentZst] = await Promise.all([ctx.store.head(jsonKey), ctx.store.head(zstKey)]);
    if (currentJson?.sha256 === json.sha256 && currentZst !== null) {
      ctx.logger.info({ subdir: input.subdir, records: count }, 'repodata unchanged; nothing rewritten');
      return { subdir: input.subdir, records: count, changed: false, sha256: json.sha256, bytes: json.size };
    }
    const zst = await writeHashed(
      Readable.from(compressZstd(createReadStream(jsonPath), { level: input.zstdLevel })),
      zstPath,
    );
    const common = {
      contentType: 'application/json',
      cacheControl: METADATA_CACHE_CONTROL,
      signal: ctx.signal,
    };
    await ctx.store.put(zstKey, createReadStream(zstPath), {
      ...common,
      size: zst.size,
      sha256: zst.sha256,
      contentType: 'application/zstd',
    });
    await ctx.store.put(jsonKey, createReadStream(jsonPath), {
      ...common,
      size: json.size,
      sha256: json.sha256,
    });
    ctx.logger.info({ subdir: input.subdir, records: count, bytes: json.size }, 'published repodata');
    return { subdir: input.subdir, records: count, changed: true, sha256: json.sha256, bytes: json.size };
  } finally {
    await Promise.all([rm(jsonPath, { force: true }), rm(zstPath, { force: true })]);
  }
}

async function splitAndSort(records: FinalizeInput['records']) {
  const packages: Array<{ filename: string; json: string }> = [];
  const packagesConda: Array<{ filename: string; json: string }> = [];
  for await (const [filename, record] of records) {
    const entry = { filename, json: canonicalRecordJson(record) };
    (filename.endsWith('.conda') ? packagesConda : packages).push(entry);
  }
  const byFilename = (a: { filename: string }, b: { filename: string }): number =>
    compareFilenames(a.filename, b.filename);
  packages.sort(byFilename);
  packagesConda.sort(byFilename);
  return { packages, packagesConda, count: packages.length + packagesConda.length };
}

async function writeHashed(source: Readable, path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  await pipeline(
    source,
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        yield chunk;
      }
    },
    createWriteStream(path),
  );
  return { sha256: hash.digest('hex'), size: (await stat(path)).size };
}
