// A tiny real channel (conda's own conda_format_repo test channel) written into a store at the
// keys the API serves it from, plus an internal object that must never be served.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { zstdCompressSync } from 'node:zlib';
import type { ObjectStore } from '@condasync/storage';

const FIXTURES = path.resolve(import.meta.dirname, '../../../../test/fixtures/conda-test-data');
const REPO = path.join(FIXTURES, 'conda/tests/data/conda_format_repo');
/** A subdir that conda-index published with `--bz2`: its repodata.json and repodata.json.bz2. */
const BZ2_SUBDIR = path.join(FIXTURES, 'conda-index/tests/index_hotfix_pkgs/osx-64');

export const SHARD_ZLIB = '56a0c19b47ba1a2d0f1390eda489b1c49a00d35814571057e6d81e0c93dfd157.msgpack.zst';
export const SHARD_LIBGCC = '2dcdacf7009b4f1c21f452c5079384340257e0e1cbecb8ec484984d1fa85b115.msgpack.zst';
export const PACKAGE_CONDA = 'zlib-1.2.11-h7b6447c_3.conda';
export const PACKAGE_TAR_BZ2 = 'zlib-1.2.11-h7b6447c_3.tar.bz2';
/** Written at the store root, where the mirror keeps its internal state. */
export const INTERNAL_KEY = '.condasync/state/secret.json';

/** Channel-relative path → bytes, for every file written. */
export type FixtureFiles = Map<string, Buffer>;

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

export async function writeFixtureChannel(store: ObjectStore, channel: string): Promise<FixtureFiles> {
  const files: FixtureFiles = new Map();
  for (const relPath of [
    'channeldata.json',
    'noarch/repodata.json',
    'linux-64/repodata.json',
    'linux-64/repodata_shards.msgpack.zst',
    `linux-64/${SHARD_ZLIB}`,
    `linux-64/${SHARD_LIBGCC}`,
    `linux-64/${PACKAGE_CONDA}`,
    `linux-64/${PACKAGE_TAR_BZ2}`,
  ]) {
    files.set(relPath, await readFile(path.join(REPO, relPath)));
  }
  // rattler-index's layout puts shards in a shards/ folder; serve that form too.
  files.set(`linux-64/shards/${SHARD_ZLIB}`, files.get(`linux-64/${SHARD_ZLIB}`)!);
  files.set('linux-64/repodata.json.zst', zstdCompressSync(files.get('linux-64/repodata.json')!));
  for (const name of ['repodata.json', 'repodata.json.bz2']) {
    files.set(`osx-64/${name}`, await readFile(path.join(BZ2_SUBDIR, name)));
  }
  for (const [relPath, bytes] of files) {
    await store.put(`${channel}/${relPath}`, bytes, { size: bytes.length, sha256: sha256(bytes) });
  }
  const secret = Buffer.from('{"token":"internal-state-must-not-be-served"}');
  await store.put(INTERNAL_KEY, secret, { size: secret.length, sha256: sha256(secret) });
  return files;
}
