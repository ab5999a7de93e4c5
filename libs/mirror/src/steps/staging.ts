import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PackageRecordJson } from '@condasync/conda';
import type { ObjectStore } from '@condasync/storage';
import type { RunExportsDocument } from '../outputs/run-exports.ts';
import type { PlannedPackage } from './package-step.ts';
import type { SubdirPlan } from './plan.ts';

/*
 * A plan's records are staged in the store, not in Redis (Redis stays small at 500 k packages):
 * `.condasync/staging/<syncId>/<subdir>.records` holds one line per record,
 * `<filename>\t<channelIndex>\t<canonical record JSON>`, `<subdir>.downloads` one line per file
 * to download, `<filename>\t<channelIndex>\t<size>\t<sha256>\t<md5>` (empty when absent), and
 * `<subdir>.meta.json` the rest of what finalize needs. Any worker can finalize from them, after a
 * crash too.
 */

export interface StagedMeta {
  subdir: string;
  info: Record<string, unknown>;
  removed: string[];
  removals: Array<{ filename: string; size: number }>;
  /** Filenames the plan found missing from the store: one package job each. */
  downloads: string[];
  /**
   * Upstream run_exports entries of the selected records (null: upstream has none). Absent in
   * metadata staged before condasync knew run_exports.json; finalize then leaves the file alone.
   */
  runExports?: RunExportsDocument | null;
}

export interface StagedRecord {
  filename: string;
  channelIndex: number;
  record: PackageRecordJson;
}

const STAGING_CHUNK_CHARS = 1 << 20;

const stagingPrefix = (syncId: string): string => `.condasync/staging/${syncId}/`;
const recordsKey = (syncId: string, subdir: string): string => `${stagingPrefix(syncId)}${subdir}.records`;
const downloadsKey = (syncId: string, subdir: string): string =>
  `${stagingPrefix(syncId)}${subdir}.downloads`;
const metaKey = (syncId: string, subdir: string): string => `${stagingPrefix(syncId)}${subdir}.meta.json`;

/**
 * Writes a subdir's planned records and metadata to the store: the files to download (one compact
 * line each, what the plan job enqueues from), the records, then the metadata. With
 * `releaseRecords`, each record is removed from `plan.records` once written, so that a caller done
 * with them (the plan job) frees a large subdir's memory while it is staged.
 */
export async function stageSubdirPlan(
  syncId: string,
  plan: SubdirPlan,
  ctx: { store: ObjectStore; tempDir: string; releaseRecords?: boolean },
): Promise<void> {
  const { records } = plan;
  await putLines(
    ctx,
    downloadsKey(syncId, plan.subdir),
    (function* () {
      for (const filename of plan.downloads) {
        const { channelIndex, size, sha256, md5 } = records.get(filename)!;
        yield `${filename}\t${channelIndex}\t${size}\t${sha256 ?? ''}\t${md5 ?? ''}\n`;
      }
    })(),
  );
  await putLines(
    ctx,
    recordsKey(syncId, plan.subdir),
    (function* () {
      for (const [filename, { json, channelIndex }] of records) {
        // The caller is done with the record: let it go now, not after the last of 500 k.
        if (ctx.releaseRecords) records.delete(filename);
        yield `${filename}\t${channelIndex}\t${json}\n`;
      }
    })(),
  );
  const meta: StagedMeta = {
    subdir: plan.subdir,
    info: plan.info,
    removed: plan.removed,
    removals: plan.removals,
    downloads: plan.downloads,
    runExports: plan.runExports,
  };
  const body = Buffer.from(JSON.stringify(meta));
  await ctx.store.put(metaKey(syncId, plan.subdir), body, {
    size: body.byteLength,
    sha256: createHash('sha256').update(body).digest('hex'),
  });
}

/** Stores `lines` under `key`, streamed through a scratch file (the store wants size and sha256 first). */
async function putLines(
  ctx: { store: ObjectStore; tempDir: string },
  key: string,
  lines: Iterable<string>,
): Promise<void> {
  await mkdir(ctx.tempDir, { recursive: true });
  const scratch = join(ctx.tempDir, `${randomUUID()}.staging`);
  const hash = createHash('sha256');
  let size = 0;
  try {
    await pipeline(
      Readable.from(
        (function* () {
          // About 1 MB per chunk: one Buffer and one hash update per chunk, not per line.
          let pending = '';
          const chunk = (): Buffer => {
            const bytes = Buffer.from(pending);
            hash.update(bytes);
            size += bytes.byteLength;
            pending = '';
            return bytes;
          };
          for (const line of lines) {
            pending += line;
            if (pending.length >= STAGING_CHUNK_CHARS) yield chunk();
          }
          if (pending.length > 0) yield chunk();
        })(),
      ),
      createWriteStream(scratch),
    );
    await ctx.store.put(key, createReadStream(scratch), { size, sha256: hash.digest('hex') });
  } finally {
    await rm(scratch, { force: true });
  }
}

/**
 * The files a staged subdir's plan wants downloaded, in download order, streamed from the staging
 * (the one source, so a retried plan job re-reads exactly the same list). Reads the compact
 * downloads object, or, for a plan staged before there was one, the records the metadata names.
 */
export async function* readStagedDownloads(
  store: ObjectStore,
  syncId: string,
  subdir: string,
): AsyncGenerator<PlannedPackage> {
  const object = await store.get(downloadsKey(syncId, subdir));
  if (object === null) {
    yield* downloadsFromRecords(store, syncId, subdir);
    return;
  }
  for await (const line of createInterface({ input: object.body, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line === '') continue;
    const [filename, channelIndex, size, sha256, md5] = line.split('\t') as [
      string,
      string,
      string,
      string,
      string,
    ];
    const planned: PlannedPackage = {
      subdir,
      filename,
      channelIndex: Number(channelIndex),
      size: Number(size),
    };
    if (sha256 !== '') planned.sha256 = sha256;
    if (md5 !== '') planned.md5 = md5;
    yield planned;
  }
}

async function* downloadsFromRecords(
  store: ObjectStore,
  syncId: string,
  subdir: string,
): AsyncGenerator<PlannedPackage> {
  const meta = await readStagedMeta(store, syncId, subdir);
  if (meta.downloads.length === 0) return;
  const wanted = new Set(meta.downloads);
  for await (const { filename, channelIndex, record } of readStagedEntries(store, syncId, subdir)) {
    if (!wanted.has(filename)) continue;
    const planned: PlannedPackage = { subdir, filename, channelIndex, size: record.size };
    if (record.sha256 !== undefined) planned.sha256 = record.sha256;
    if (record.md5 !== undefined) planned.md5 = record.md5;
    yield planned;
  }
}

/** The staged records of a subdir, streamed, minus `exclude` (failed packages). */
export async function* readStagedRecords(
  store: ObjectStore,
  syncId: string,
  subdir: string,
  exclude: ReadonlySet<string> = new Set(),
): AsyncGenerator<[string, PackageRecordJson]> {
  for await (const entry of readStagedEntries(store, syncId, subdir)) {
    if (!exclude.has(entry.filename)) yield [entry.filename, entry.record];
  }
}

/** Every staged record of a subdir with the index of the channel it comes from, streamed. */
export async function* readStagedEntries(
  store: ObjectStore,
  syncId: string,
  subdir: string,
): AsyncGenerator<StagedRecord> {
  const object = await store.get(recordsKey(syncId, subdir));
  if (object === null) throw new Error(`staged records of ${syncId}/${subdir} are missing from the store`);
  for await (const line of createInterface({ input: object.body, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line === '') continue;
    const first = line.indexOf('\t');
    const second = line.indexOf('\t', first + 1);
    yield {
      filename: line.slice(0, first),
      channelIndex: Number(line.slice(first + 1, second)),
      record: JSON.parse(line.slice(second + 1)) as PackageRecordJson,
    };
  }
}

export async function readStagedMeta(
  store: ObjectStore,
  syncId: string,
  subdir: string,
): Promise<StagedMeta> {
  const object = await store.get(metaKey(syncId, subdir));
  if (object === null) throw new Error(`staged metadata of ${syncId}/${subdir} is missing from the store`);
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as StagedMeta;
}

/** Removes a finished sync's staging objects. */
export async function dropStaging(store: ObjectStore, syncId: string): Promise<void> {
  for await (const object of store.list(stagingPrefix(syncId))) await store.delete(object.key);
}
