import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  decodeShard,
  decodeShardIndex,
  type PackageRecordJson,
  type ShardIndex,
  verifyShard,
} from '@condasync/conda';
import { allRecords, readJson, testRecipes } from '../sync-helpers.ts';

type Records = Record<string, Record<string, unknown>>;

export const HOUR = 3_600_000;

/** A published subdir's shard index, the shard files in `shards/`, and every record the shards hold. */
export async function readShardedSubdir(
  mirror: string,
  subdir: string,
): Promise<{ index: ShardIndex; files: string[]; records: Records; removed: string[] }> {
  const index = decodeShardIndex(await readFile(join(mirror, subdir, 'repodata_shards.msgpack.zst')), {
    subdir,
  });
  const files = await shardFiles(mirror, subdir);
  const records: Records = {};
  const removed: string[] = [];
  for (const [packageName, hash] of index.shards) {
    const bytes = await readFile(join(mirror, subdir, 'shards', `${hash}.msgpack.zst`));
    verifyShard(hash, bytes);
    const shard = decodeShard(bytes, { subdir, packageName });
    for (const [filename, record] of Object.entries({ ...shard.packages, ...shard['packages.conda'] })) {
      assert.equal(records[filename], undefined, `${filename} is in two shards`);
      records[filename] = record as Record<string, unknown>;
    }
    removed.push(...(shard.removed ?? []));
  }
  return { index, files, records, removed };
}

/** Names (`<sha256>`) of the shard files stored in a subdir. */
export async function shardFiles(mirror: string, subdir: string): Promise<string[]> {
  const names = await readdir(join(mirror, subdir, 'shards')).catch(() => [] as string[]);
  return names
    .filter((name) => name.endsWith('.msgpack.zst'))
    .map((name) => name.slice(0, -'.msgpack.zst'.length))
    .sort();
}

/** Inode and mtime of every published file (internal state under .condasync/ excluded). */
export async function publishedFileStamps(mirror: string): Promise<Map<string, string>> {
  const stamps = new Map<string, string>();
  for (const entry of await readdir(mirror, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const relative = path.slice(mirror.length + 1);
    if (relative.startsWith('.condasync')) continue;
    const info = await stat(path, { bigint: true });
    stamps.set(relative, `${info.ino}:${info.mtimeNs}`);
  }
  return stamps;
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** All records of a published repodata.json, by filename. */
export async function publishedRecords(mirror: string, subdir: string): Promise<Records> {
  return allRecords(await readJson(join(mirror, subdir, 'repodata.json')));
}

/** A fixture repodata.json's records as [filename, record] pairs (both sections). */
export async function fixtureEntries(path: string): Promise<Array<[string, Record<string, unknown>]>> {
  const document = JSON.parse(await readFile(path, 'utf8')) as Record<string, Records | undefined>;
  return [...Object.entries(document['packages'] ?? {}), ...Object.entries(document['packages.conda'] ?? {})];
}

/** conda's test-recipes noarch records, as finalize takes them. */
export async function testRecipesEntries(): Promise<Array<[string, PackageRecordJson]>> {
  return (await fixtureEntries(join(testRecipes, 'noarch', 'repodata.json'))) as Array<
    [string, PackageRecordJson]
  >;
}
