import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FsObjectStore } from '@condasync/storage';
import { MirrorError, MirrorErrorCode } from '../../src/errors.ts';
import { readGenerationIndex } from '../../src/generations/layout.ts';
import { rollbackToGeneration } from '../../src/generations/rollback.ts';
import { silentLogger } from '../../src/logger.ts';
import { importFolder } from '../../src/steps/import.ts';
import { copyChannel, readJson, scratch, syncInto, testConfig, testRecipes } from '../sync-helpers.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** Drops `filenames` from the upstream copy's repodata.json, as if upstream had not published them. */
async function withoutRecords(upstream: string, original: string, filenames: readonly string[]) {
  const repodata = JSON.parse(original) as Record<string, Record<string, unknown>>;
  for (const filename of filenames) {
    delete repodata['packages']?.[filename];
    delete repodata['packages.conda']?.[filename];
  }
  await writeFile(join(upstream, 'noarch', 'repodata.json'), JSON.stringify(repodata));
}

async function setup(name: string) {
  const { dir, cleanup } = await scratch(name);
  const upstream = await copyChannel(testRecipes, dir);
  const original = await readFile(join(upstream, 'noarch', 'repodata.json'), 'utf8');
  const mirror = join(dir, 'mirror');
  const config = testConfig({
    channels: [`file://${upstream}`],
    platforms: [],
    mirror_dir: mirror,
    pkg_list: ['dependency', 'dependent'],
    grace_period_hours: 24,
  });
  const sync = (at: number, graceHours = 24) =>
    syncInto(mirror, join(dir, 'work'), { ...config, grace_period_hours: graceHours }, { now: () => at });
  const index = async () => {
    const store = new FsObjectStore({ root: mirror });
    try {
      return await readGenerationIndex({ store, channelPrefix: '' });
    } finally {
      await store.close();
    }
  };
  const rollback = async (generation: number, at: number) => {
    const store = new FsObjectStore({ root: mirror });
    try {
      return await rollbackToGeneration(
        { store, channelPrefix: '', logger: silentLogger },
        { generation, now: at, tempDir: join(dir, 'work', 'tmp') },
      );
    } finally {
      await store.close();
    }
  };
  const published = async () =>
    Object.fromEntries(
      await Promise.all(
        [
          'noarch/repodata.json',
          'noarch/repodata.json.zst',
          'noarch/repodata_shards.msgpack.zst',
          'channeldata.json',
        ].map(async (name) => [name, await readFile(join(mirror, name))] as const),
      ),
    );
  return { dir, cleanup, upstream, original, mirror, sync, index, rollback, published };
}

describe('metadata generations', () => {
  test('a sync that changes the metadata records a generation; a no-op sync does not', async () => {
    const t = await setup('gen-record');
    try {
      await withoutRecords(t.upstream, t.original, ['dependency-2.0-0.conda', 'dependent-2.0-0.conda']);
      await t.sync(T0);
      let index = await t.index();
      assert.deepEqual(
        index.generations.map((g) => [g.n, g.source]),
        [[1, 'local sync']],
      );
      assert.deepEqual(Object.keys(index.generations[0]!.subdirs), ['noarch']);
      assert.equal(index.graceMs, 24 * HOUR);

      await t.sync(T0 + HOUR);
      index = await t.index();
      assert.equal(index.generations.length, 1, 'nothing changed, so no new generation');

      await writeFile(join(t.upstream, 'noarch', 'repodata.json'), t.original);
      await t.sync(T0 + 2 * HOUR);
      index = await t.index();
      assert.deepEqual(
        index.generations.map((g) => g.n),
        [1, 2],
      );
      // Nothing was unlisted, so generation 1 is retained for the grace period from its replacement.
      assert.equal(index.generations[0]!.retainedUntil, new Date(T0 + 26 * HOUR).toISOString());
      assert.equal(index.generations[1]!.retainedUntil, undefined);
      const blobs = await readdir(join(t.mirror, '.condasync', 'generations', 'blobs'));
      const zst = index.generations[1]!.subdirs['noarch']!['repodata.json.zst']!;
      assert.ok(blobs.includes(zst.sha256), 'the .zst is kept as a blob');
      assert.ok(
        !blobs.includes(index.generations[1]!.subdirs['noarch']!['repodata.json']!.sha256),
        'the JSON is not',
      );
    } finally {
      await t.cleanup();
    }
  });

  test('a rollback publishes the older generation byte for byte as a new generation', async () => {
    const t = await setup('gen-rollback');
    try {
      await withoutRecords(t.upstream, t.original, ['dependency-2.0-0.conda', 'dependent-2.0-0.conda']);
      await t.sync(T0);
      const first = await t.published();
      await writeFile(join(t.upstream, 'noarch', 'repodata.json'), t.original);
      await t.sync(T0 + HOUR);
      assert.notDeepEqual((await t.published())['noarch/repodata.json'], first['noarch/repodata.json']);

      const result = await t.rollback(1, T0 + 2 * HOUR);
      assert.deepEqual(result, {
        from: 1,
        generation: 3,
        changed: true,
        subdirs: ['noarch'],
        // The shards of `dependency` and `dependent` that generation 2 replaced are listed again.
        countdownsStopped: 2,
      });
      assert.deepEqual(await t.published(), first, 'every metadata file has generation 1 bytes again');
      const index = await t.index();
      assert.deepEqual(
        index.generations.map((g) => [g.n, g.source]),
        [
          [1, 'local sync'],
          [2, 'local sync'],
          [3, 'rollback of 1'],
        ],
      );
      assert.deepEqual(index.generations[2]!.subdirs, index.generations[0]!.subdirs);

      const again = await t.rollback(3, T0 + 3 * HOUR);
      assert.equal(again.changed, false, 'rolling back to what is published changes nothing');
      assert.equal((await t.index()).generations.length, 3);
    } finally {
      await t.cleanup();
    }
  });

  test('a rollback stops the deletion countdown of the files it lists again', async () => {
    const t = await setup('gen-countdown');
    try {
      await t.sync(T0);
      await withoutRecords(t.upstream, t.original, ['dependency-1.0-0.conda']);
      await t.sync(T0 + HOUR);
      const state = join(t.mirror, '.condasync', 'state', 'noarch', 'unlisted.json');
      const shardState = join(t.mirror, '.condasync', 'state', 'noarch', 'unlisted-shards.json');
      assert.deepEqual(Object.keys(await readJson(state)), ['dependency-1.0-0.conda']);
      assert.equal(Object.keys(await readJson(shardState)).length, 1, "the old shard of 'dependency'");
      const result = await t.rollback(1, T0 + 2 * HOUR);
      assert.equal(result.countdownsStopped, 2);
      assert.deepEqual(await readJson(state), {});
      assert.deepEqual(await readJson(shardState), {});
    } finally {
      await t.cleanup();
    }
  });

  test('a rollback is refused, naming the files, when a package the generation lists is gone', async () => {
    const t = await setup('gen-refused');
    try {
      await t.sync(T0);
      await withoutRecords(t.upstream, t.original, ['dependency-1.0-0.conda']);
      await t.sync(T0 + HOUR);
      const before = await t.published();
      await rm(join(t.mirror, 'noarch', 'dependency-1.0-0.conda'));
      await assert.rejects(t.rollback(1, T0 + 2 * HOUR), (error: unknown) => {
        assert.ok(error instanceof MirrorError);
        assert.equal(error.code, MirrorErrorCode.GenerationIncomplete);
        assert.match(error.message, /noarch\/dependency-1\.0-0\.conda \(missing\)/);
        assert.deepEqual(error.details, [{ path: 'noarch/dependency-1.0-0.conda', message: 'missing' }]);
        return true;
      });
      assert.deepEqual(await t.published(), before, 'nothing was published');
      assert.equal((await t.index()).generations.length, 2);
    } finally {
      await t.cleanup();
    }
  });

  test('a generation is pruned once the files it lists may be deleted, and not before', async () => {
    const t = await setup('gen-prune');
    try {
      await t.sync(T0);
      await withoutRecords(t.upstream, t.original, ['dependency-1.0-0.conda']);
      await t.sync(T0 + HOUR);
      let index = await t.index();
      assert.equal(index.generations[0]!.retainedUntil, new Date(T0 + 25 * HOUR).toISOString());

      await t.sync(T0 + 24 * HOUR);
      assert.deepEqual(
        (await t.index()).generations.map((g) => g.n),
        [1, 2],
        'still retained',
      );
      await readFile(join(t.mirror, 'noarch', 'dependency-1.0-0.conda'));

      await t.sync(T0 + 25 * HOUR);
      index = await t.index();
      assert.deepEqual(
        index.generations.map((g) => g.n),
        [2],
      );
      await assert.rejects(readFile(join(t.mirror, 'noarch', 'dependency-1.0-0.conda')), { code: 'ENOENT' });
      const blobs = await readdir(join(t.mirror, '.condasync', 'generations', 'blobs'));
      assert.deepEqual(
        blobs.sort(),
        [
          ...Object.values(index.generations[0]!.subdirs['noarch']!)
            .filter((f) => f.from === undefined)
            .map((f) => f.sha256),
          index.generations[0]!.channel['channeldata.json']!.sha256,
        ].sort(),
        'only the current generation keeps blobs',
      );
      await assert.rejects(
        t.rollback(1, T0 + 25 * HOUR),
        /generation 1 was pruned \(its grace period ended, or a clean deleted files it lists\); retained generations: 2/,
      );
      await assert.rejects(t.rollback(7, T0 + 25 * HOUR), /generation 7 does not exist/);
    } finally {
      await t.cleanup();
    }
  });

  test('an import that changes the metadata records a generation too', async () => {
    const t = await setup('gen-import');
    try {
      await t.sync(T0);
      const folder = join(t.dir, 'import', 'noarch');
      await mkdir(folder, { recursive: true });
      await copyFile(
        join(testRecipes, 'noarch', 'versioned-1.0-0.conda'),
        join(folder, 'versioned-1.0-0.conda'),
      );
      const store = new FsObjectStore({ root: t.mirror });
      try {
        await importFolder({
          sourceDir: join(t.dir, 'import'),
          store,
          channelPrefix: '',
          tempDir: join(t.dir, 'work', 'tmp'),
          logger: silentLogger,
          zstdLevel: 3,
        });
      } finally {
        await store.close();
      }
      const index = await t.index();
      assert.deepEqual(
        index.generations.map((g) => [g.n, g.source]),
        [
          [1, 'local sync'],
          [2, 'import'],
        ],
      );
      assert.equal(index.graceMs, 24 * HOUR, 'the grace period of the last sync');
    } finally {
      await t.cleanup();
    }
  });

  test('a sync with a shorter grace period shortens the retention of older generations with it', async () => {
    const t = await setup('gen-shorter-grace');
    try {
      await t.sync(T0);
      await withoutRecords(t.upstream, t.original, ['dependency-1.0-0.conda']);
      await t.sync(T0 + HOUR);
      assert.equal((await t.index()).generations[0]!.retainedUntil, new Date(T0 + 25 * HOUR).toISOString());
      // One hour of grace: dependency 1.0, unlisted since T0 + 1 h, is deleted at T0 + 3 h, so
      // generation 1, which lists it, must go too.
      await t.sync(T0 + 3 * HOUR, 1);
      await assert.rejects(readFile(join(t.mirror, 'noarch', 'dependency-1.0-0.conda')), { code: 'ENOENT' });
      assert.deepEqual(
        (await t.index()).generations.map((g) => g.n),
        [2],
      );
    } finally {
      await t.cleanup();
    }
  });
});
