import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  applyPatchInstructions,
  artifactFormatOf,
  buildIndexRecordFromFile,
  IndexRecordPool,
  type PackageRecordJson,
  parseRepodata,
  type RepodataHeader,
} from '@condasync/conda';
import type { ObjectStore } from '@condasync/storage';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import { recordImportedGeneration } from '../generations/record.ts';
import type { Logger } from '../logger.ts';
import { finalizeChannel } from './finalize/channel.ts';
import { finalizeSubdir } from './finalize.ts';
import { runPool } from './run-pool.ts';

export interface ImportOptions {
  /** A channel folder: `<sourceDir>/<subdir>/<package files>`, with or without repodata.json. */
  sourceDir: string;
  store: ObjectStore;
  channelPrefix: string;
  tempDir: string;
  logger: Logger;
  zstdLevel: number;
  /** Archives read, and packages stored, at once (default 8). */
  concurrency?: number;
  /**
   * Worker threads that read archives (decompress their info files, hash every byte). Default:
   * one per core for a subdir of at least 64 archives, else 0 (read in this thread: starting
   * threads costs more than a few archives do).
   */
  indexThreads?: number;
  signal?: AbortSignal;
}

const DEFAULT_IMPORT_CONCURRENCY = 8;
const THREADED_INDEX_MIN_ARCHIVES = 64;

export interface ImportedSubdir {
  subdir: string;
  /** Package files copied into the store (or already there with the same bytes). */
  imported: number;
  /** Where the records came from: the folder's repodata.json (kept verbatim) or the archives. */
  recordsFrom: 'repodata' | 'archives' | 'none';
  patched: boolean;
  /** Records in the published repodata after the merge. */
  published: number;
  rejected: Array<{ filename: string; reason: string }>;
}

const PACKAGE_FILE = /^[^/\\]+\.(conda|tar\.bz2)$/;

/**
 * Publishes a folder of packages (an air-gap bundle, a delta, or a plain folder of archives) into
 * the destination channel. Records come from the folder's repodata.json when it has one (upstream
 * records carry hotfixes; rebuilding from archives would lose them), otherwise from each archive's
 * info/index.json as conda-index builds them; a `patch_instructions.json` beside them is applied.
 * The result is merged into what the channel already publishes (imported records win) so deltas
 * accumulate. Packages are stored verified before the repodata that lists them.
 */
export async function importFolder(options: ImportOptions): Promise<ImportedSubdir[]> {
  const entries = await readdir(options.sourceDir, { withFileTypes: true }).catch((error: unknown) => {
    throw new MirrorError(
      MirrorErrorCode.RepodataInvalid,
      `cannot read the import folder ${options.sourceDir}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  });
  const subdirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  if (!subdirs.includes('noarch')) subdirs.push('noarch');
  const results: ImportedSubdir[] = [];
  for (const subdir of subdirs.sort()) results.push(await importSubdir(subdir, options));
  // channeldata.json describes every subdir, so it is rebuilt once all of them are published.
  await finalizeChannel(
    { subdirs },
    {
      store: options.store,
      channelPrefix: options.channelPrefix,
      logger: options.logger,
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  await recordImportedGeneration(
    { store: options.store, channelPrefix: options.channelPrefix, logger: options.logger },
    subdirs,
  );
  return results;
}

async function importSubdir(subdir: string, options: ImportOptions): Promise<ImportedSubdir> {
  const concurrency = options.concurrency ?? DEFAULT_IMPORT_CONCURRENCY;
  const dir = join(options.sourceDir, subdir);
  const files = (await readdir(dir).catch(() => [] as string[]))
    .filter((name) => PACKAGE_FILE.test(name))
    .sort();
  const present = new Set(files);
  const rejected: ImportedSubdir['rejected'] = [];
  const records = new Map<string, PackageRecordJson>();
  let header: RepodataHeader | null = null;
  let recordsFrom: ImportedSubdir['recordsFrom'] = 'none';
  const patchPath = join(dir, 'patch_instructions.json');
  const hasPatch = await exists(patchPath);

  /** Stores one package file, verified against the record that will list it. */
  const storePackage = async (filename: string, record: PackageRecordJson): Promise<void> => {
    const key = `${options.channelPrefix}${subdir}/${filename}`;
    const existing = await options.store.head(key);
    if (existing?.sha256 !== undefined && existing.sha256 === record.sha256) return;
    if (record.sha256 === undefined) throw new Error('the record has no sha256 to verify the file against');
    await options.store.put(key, createReadStream(join(dir, filename)), {
      size: record.size,
      sha256: record.sha256,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  };
  // Without patch instructions a record read from its archive is final, so the package is stored
  // at once: the copy overlaps the reading of other archives instead of waiting for all of them.
  const storedEarly = new Map<string, Outcome<void>>();

  const repodataPath = join(dir, 'repodata.json');
  if (await exists(repodataPath)) {
    recordsFrom = 'repodata';
    const parsed = parseRepodata(createReadStream(repodataPath), {
      subdir,
      onInvalidRecord: (error) => rejected.push({ filename: '(repodata.json)', reason: error.message }),
    });
    for (;;) {
      const next = await parsed.next();
      if (next.done) {
        header = next.value;
        break;
      }
      if (present.has(next.value.filename)) records.set(next.value.filename, next.value.record);
      else
        rejected.push({
          filename: next.value.filename,
          reason: 'listed in repodata.json but the file is not in the folder',
        });
    }
    for (const filename of files) {
      if (!records.has(filename))
        rejected.push({ filename, reason: 'in the folder but not listed in its repodata.json' });
    }
  } else if (files.length > 0) {
    recordsFrom = 'archives';
    // Read in parallel (on every core, and overlapping disk reads), applied in folder order.
    const threads =
      options.indexThreads ?? (files.length >= THREADED_INDEX_MIN_ARCHIVES ? availableParallelism() : 0);
    const pool = threads === 0 ? undefined : new IndexRecordPool(threads);
    let outcomes: Array<Outcome<PackageRecordJson>>;
    try {
      outcomes = await inParallel(files, Math.max(concurrency, 4 * threads), async (filename) => {
        const path = join(dir, filename);
        const built = await (pool?.build(path, filename, subdir) ??
          buildIndexRecordFromFile(path, filename, subdir));
        if (!hasPatch) storedEarly.set(filename, await settle(() => storePackage(filename, built.record)));
        return built.record;
      });
    } finally {
      await pool?.close();
    }
    for (const [index, filename] of files.entries()) {
      const outcome = outcomes[index]!;
      if ('value' in outcome) records.set(filename, outcome.value);
      else rejected.push({ filename, reason: outcome.error.message });
    }
  }

  let patched = false;
  if (hasPatch) {
    const doc = applyPatchInstructions(
      splitSections(records),
      JSON.parse(await readFile(patchPath, 'utf8')) as unknown,
    );
    records.clear();
    for (const [filename, record] of Object.entries({ ...doc.packages, ...doc['packages.conda'] })) {
      records.set(filename, record as PackageRecordJson);
    }
    header = {
      info: header?.info ?? {},
      repodataVersion: 1,
      removed: [...(header?.removed ?? []), ...doc.removed],
      extra: {},
    };
    patched = true;
  }

  // Packages first (those not stored yet), each verified against the record that will list it.
  let imported = 0;
  const toStore = [...records].filter(([filename]) => !storedEarly.has(filename));
  const stored = await inParallel(toStore, concurrency, ([filename, record]) =>
    storePackage(filename, record),
  );
  const storeOutcomes = new Map(storedEarly);
  for (const [index, [filename]] of toStore.entries()) storeOutcomes.set(filename, stored[index]!);
  for (const filename of [...records.keys()]) {
    const outcome = storeOutcomes.get(filename)!;
    if ('value' in outcome) {
      imported++;
    } else {
      records.delete(filename);
      rejected.push({ filename, reason: outcome.error.message });
    }
  }

  const merged = await publishedRecords(
    options.store,
    `${options.channelPrefix}${subdir}/repodata.json`,
    subdir,
  );
  for (const [filename, record] of records) merged.records.set(filename, record);
  const result = await finalizeSubdir(
    {
      subdir,
      info: { ...merged.info, ...(header?.info ?? {}) },
      removed: [...merged.removed, ...(header?.removed ?? [])],
      records: merged.records,
      zstdLevel: options.zstdLevel,
    },
    {
      store: options.store,
      channelPrefix: options.channelPrefix,
      tempDir: options.tempDir,
      logger: options.logger,
    },
  );
  for (const r of rejected) options.logger.warn({ subdir, ...r }, 'not imported');
  return { subdir, imported, recordsFrom, patched, published: result.records, rejected };
}

/** The records the channel publishes now (empty when it has no repodata yet). */
async function publishedRecords(store: ObjectStore, key: string, subdir: string) {
  const records = new Map<string, PackageRecordJson>();
  const object = await store.get(key);
  if (object === null) return { records, info: {}, removed: [] as string[] };
  const parsed = parseRepodata(object.body, { subdir });
  for (;;) {
    const next = await parsed.next();
    if (next.done) return { records, info: next.value.info, removed: next.value.removed };
    records.set(next.value.filename, next.value.record);
  }
}

function splitSections(records: Map<string, PackageRecordJson>) {
  const packages: Record<string, Record<string, unknown>> = {};
  const conda: Record<string, Record<string, unknown>> = {};
  for (const [filename, record] of records) {
    (artifactFormatOf(filename) === 'conda' ? conda : packages)[filename] = record;
  }
  return { packages, 'packages.conda': conda, removed: [] as string[] };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

type Outcome<R> = { value: R } | { error: Error };

async function settle<R>(work: () => Promise<R>): Promise<Outcome<R>> {
  try {
    return { value: await work() };
  } catch (error) {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/** `work` over `items`, `concurrency` at a time; each item's result or error, in item order. */
async function inParallel<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<Array<Outcome<R>>> {
  const outcomes = new Array<Outcome<R>>(items.length);
  await runPool(
    items.map((_, index) => index),
    concurrency,
    async (index) => {
      outcomes[index] = await settle(() => work(items[index]!));
    },
  );
  return outcomes;
}
