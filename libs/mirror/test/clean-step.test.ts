import assert from 'node:assert/strict';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FsObjectStore } from '@condasync/storage';
import { silentLogger } from '../src/logger.ts';
import { type CleanReport, cleanStep } from '../src/steps/clean-step.ts';
import { UpstreamHttp } from '../src/upstream/http-client.ts';
import { allRecords, readJson, scratch, syncInto, testConfig, testRecipes } from './sync-helpers.ts';

const BROAD = ['dependency', 'versioned'];
const NARROW = ['dependency'];
const DROPPED = [
  ['versioned-1.0-0.conda', 3814],
  ['versioned-2.0-0.conda', 3838],
];

/** A mirror of test-recipes with the broad filter, and configs for it. */
async function broadMirror(dir: string) {
  const mirror = join(dir, 'mirror');
  const config = (pkgList: string[]) =>
    testConfig({ channels: [`file://${testRecipes}`], platforms: [], mirror_dir: mirror, pkg_list: pkgList });
  await syncInto(mirror, join(dir, 'work'), config(BROAD));
  return { mirror, config };
}

async function clean(mirror: string, dir: string, config: ReturnType<typeof testConfig>, dryRun: boolean) {
  const store = new FsObjectStore({ root: mirror });
  const http = new UpstreamHttp({ headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 });
  try {
    return await cleanStep(
      { config, store, channelPrefix: '', http, workDir: join(dir, 'work'), logger: silentLogger },
      { dryRun },
    );
  } finally {
    await http.close();
    await store.close();
  }
}

const packages = (report: CleanReport, list: 'files' | 'keptListed' = 'files') =>
  report[list].filter((f) => f.kind === 'package').map((f) => [f.filename, f.size]);
const condaFiles = async (mirror: string) =>
  (await readdir(join(mirror, 'noarch'))).filter((f) => f.endsWith('.conda')).sort();

describe('clean step', () => {
  test('after the narrowed sync: --dry-run lists the dropped files with sizes and a total, deletes nothing; clean deletes them', async () => {
    const { dir, cleanup } = await scratch('clean');
    try {
      const { mirror, config } = await broadMirror(dir);
      const narrowed = await syncInto(mirror, join(dir, 'work'), config(NARROW));
      assert.equal(
        narrowed.subdirs.find((s) => s.subdir === 'noarch')!.pendingDeletion,
        2,
        'grace kept them',
      );
      const shardsBefore = (await readdir(join(mirror, 'noarch', 'shards'))).sort();
      assert.equal(shardsBefore.length, 2, 'one shard per name of the broad filter');

      const dry = await clean(mirror, dir, config(NARROW), true);
      assert.equal(dry.dryRun, true);
      assert.deepEqual(packages(dry), DROPPED);
      const shards = dry.files.filter((f) => f.kind === 'shard');
      assert.equal(shards.length, 1, 'the versioned shard the new index no longer references');
      assert.equal(
        dry.bytes,
        dry.files.reduce((n, f) => n + f.size, 0),
      );
      assert.ok(dry.bytes > 3814 + 3838);
      assert.deepEqual(dry.keptListed, []);
      assert.equal(dry.keptUnpublished, 0);
      assert.equal((await condaFiles(mirror)).length, 4, 'a dry run deletes nothing');
      assert.deepEqual((await readdir(join(mirror, 'noarch', 'shards'))).sort(), shardsBefore);

      const done = await clean(mirror, dir, config(NARROW), false);
      assert.deepEqual(done.files, dry.files);
      assert.deepEqual(await condaFiles(mirror), ['dependency-1.0-0.conda', 'dependency-2.0-0.conda']);
      await assert.rejects(stat(join(mirror, 'noarch', shards[0]!.filename)), { code: 'ENOENT' });
      // Whatever the published metadata lists is still there (invariant 1).
      const listed = Object.keys(allRecords(await readJson(join(mirror, 'noarch', 'repodata.json'))));
      for (const filename of listed) await stat(join(mirror, 'noarch', filename));
      assert.deepEqual(listed.sort(), ['dependency-1.0-0.conda', 'dependency-2.0-0.conda']);
      assert.equal((await readdir(join(mirror, 'noarch', 'shards'))).length, 1);

      assert.deepEqual((await clean(mirror, dir, config(NARROW), true)).files, [], 'nothing left to clean');
      const again = await syncInto(mirror, join(dir, 'work'), config(NARROW));
      assert.equal(again.status, 'succeeded', 'a later sync runs over the cleaned mirror');
    } finally {
      await cleanup();
    }
  });

  test('before the narrowed sync: files the published repodata still lists are kept and reported', async () => {
    const { dir, cleanup } = await scratch('clean-listed');
    try {
      const { mirror, config } = await broadMirror(dir);
      const before = await readFile(join(mirror, 'noarch', 'repodata.json'));

      const dry = await clean(mirror, dir, config(NARROW), true);
      assert.deepEqual(dry.files, [], 'every dropped file is still published');
      assert.deepEqual(packages(dry, 'keptListed'), DROPPED);
      const done = await clean(mirror, dir, config(NARROW), false);
      assert.deepEqual(done.files, []);
      assert.deepEqual(packages(done, 'keptListed'), DROPPED);
      assert.equal((await condaFiles(mirror)).length, 4, 'nothing deleted');
      assert.deepEqual(await readFile(join(mirror, 'noarch', 'repodata.json')), before);
    } finally {
      await cleanup();
    }
  });

  test('a file only a published shard lists is kept too', async () => {
    const { dir, cleanup } = await scratch('clean-shard');
    try {
      const { mirror, config } = await broadMirror(dir);
      // As after a crash between publishing the shard index and repodata.json: only the shards list them.
      for (const name of ['repodata.json', 'repodata.json.zst'])
        await rm(join(mirror, 'noarch', name), { force: true });
      const report = await clean(mirror, dir, config(NARROW), false);
      assert.deepEqual(packages(report), []);
      assert.deepEqual(packages(report, 'keptListed'), DROPPED);
      assert.equal((await condaFiles(mirror)).length, 4);
    } finally {
      await cleanup();
    }
  });

  test('selected files not yet published are kept; dropped ones nothing lists are deleted', async () => {
    const { dir, cleanup } = await scratch('clean-unpublished');
    try {
      const { mirror, config } = await broadMirror(dir);
      // As after a sync that copied its packages and died before publishing anything.
      for (const name of ['repodata.json', 'repodata.json.zst', 'repodata_shards.msgpack.zst'])
        await rm(join(mirror, 'noarch', name), { force: true });
      const report = await clean(mirror, dir, config(NARROW), false);
      assert.deepEqual(packages(report), DROPPED);
      assert.equal(report.keptUnpublished, 2, 'the two dependency files stay for the next sync');
      assert.deepEqual(await condaFiles(mirror), ['dependency-1.0-0.conda', 'dependency-2.0-0.conda']);
      assert.equal(report.files.filter((f) => f.kind === 'shard').length, 2, 'no index references a shard');
    } finally {
      await cleanup();
    }
  });
});
