import type { BigIntStats, Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type ObjectMetadata, objectInfo, readSidecar } from './fs-meta.ts';
import { timed } from './instrument.ts';
import { compareKeys, RESERVED_KEY_PREFIX } from './keys.ts';
import type { ObjectInfo, OperationHook } from './object-store.ts';

const STAT_BATCH = 64;

export interface FsListContext {
  root: string;
  metaDirectory: string;
  onOperation: OperationHook | undefined;
  /** Read each object's sidecar for its sha256 (one file read per object). */
  sha256: boolean;
  /** What the store knows of an object whose sidecar is not in `meta/` yet (a put awaiting its barrier). */
  pendingMetadata?: (key: string, file: BigIntStats) => ObjectMetadata | undefined;
}

// Sorting a directory's entries by name, with "/" appended to folders, puts every key below a
// folder exactly where S3's flat byte-order listing would: "a.txt" (0x2E) before "a/b" (0x2F).
function sortKey(entry: Dirent): string {
  return entry.isDirectory() ? `${entry.name}/` : entry.name;
}

async function readDirectory(context: FsListContext, relative: string): Promise<Dirent[]> {
  return timed(context.onOperation, 'list', async () => {
    try {
      return await readdir(join(context.root, relative), { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A folder removed while we walk is just as empty as one that never existed.
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw error;
    }
  });
}

async function describe(context: FsListContext, key: string): Promise<ObjectInfo | undefined> {
  const file = await stat(join(context.root, key), { bigint: true }).catch(() => undefined);
  if (file === undefined || !file.isFile()) return undefined; // deleted while listing
  const metadata = context.sha256
    ? ((await readSidecar(context.metaDirectory, key, file)) ?? context.pendingMetadata?.(key, file))
    : undefined;
  return objectInfo(key, file, metadata);
}

/** Walks `<root>` in key order, yielding the objects whose keys start with `prefix`. */
export async function* listFiles(context: FsListContext, prefix: string): AsyncGenerator<ObjectInfo> {
  const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  yield* walk(context, base, prefix.slice(base.length));
}

async function* walk(
  context: FsListContext,
  relative: string,
  namePrefix: string,
): AsyncGenerator<ObjectInfo> {
  const entries = (await readDirectory(context, relative))
    .filter((entry) => entry.name.startsWith(namePrefix) && (entry.isFile() || entry.isDirectory()))
    .sort((a, b) => compareKeys(sortKey(a), sortKey(b)));
  let batch: string[] = [];
  const flush = async function* () {
    const infos = await Promise.all(batch.map((key) => describe(context, key)));
    batch = [];
    for (const info of infos) if (info !== undefined) yield info;
  };
  for (const entry of entries) {
    const key = `${relative}${entry.name}`;
    if (entry.isFile()) {
      batch.push(key);
      if (batch.length >= STAT_BATCH) yield* flush();
      continue;
    }
    yield* flush();
    if (`${key}/` === RESERVED_KEY_PREFIX) continue; // temp files, sidecars and locks
    yield* walk(context, `${key}/`, '');
  }
  yield* flush();
}
