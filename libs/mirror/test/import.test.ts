import assert from 'node:assert/strict';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FsObjectStore } from '@condasync/storage';
import { silentLogger } from '../src/logger.ts';
import { importFolder } from '../src/steps/import.ts';
import {
  allRecords,
  condaFormatRepo,
  expectedRecord,
  readJson,
  scratch,
  sha256File,
  testRecipes,
} from './sync-helpers.ts';

async function runImport(sourceDir: string, mirrorDir: string, workDir: string, indexThreads?: number) {
  const store = new FsObjectStore({ root: mirrorDir });
  try {
    return await importFolder({
      sourceDir,
      store,
      channelPrefix: '',
      tempDir: join(workDir, 'tmp'),
      logger: silentLogger,
      zstdLevel: 3,
      ...(indexThreads === undefined ? {} : { indexThreads }),
    });
  } finally {
    await store.close();
  }
}

/** A copy of the test-recipes packages without their repodata.json. */
async function bareRecipes(into: string, names?: string[]): Promise<string> {
  const source = join(into, 'bundle');
  await mkdir(join(source, 'noarch'), { recursive: true });
  for (const name of await readdir(join(testRecipes, 'noarch'))) {
    if (name.endsWith('.conda') && (!names || names.includes(name)))
      await cp(join(testRecipes, 'noarch', name), join(source, 'noarch', name));
  }
  return source;
}

describe('condasync import', () => {
  test('a folder without repodata: records rebuilt from the archives equal the upstream ones', async () => {
    const { dir, cleanup } = await scratch('import-bare');
    try {
      const mirror = join(dir, 'mirror');
      const [noarch] = await runImport(await bareRecipes(dir), mirror, dir);
      assert.deepEqual(
        { ...noarch, rejected: noarch!.rejected.length },
        {
          subdir: 'noarch',
          imported: 32,
          recordsFrom: 'archives',
          patched: false,
          published: 32,
          rejected: 0,
        },
      );
      const published = allRecords(await readJson(join(mirror, 'noarch', 'repodata.json')));
      const upstream = allRecords(await readJson(join(testRecipes, 'noarch', 'repodata.json')));
      assert.deepEqual(
        published,
        Object.fromEntries(Object.entries(upstream).map(([k, v]) => [k, expectedRecord(v)])),
      );
      for (const [name, record] of Object.entries(published)) {
        assert.equal(await sha256File(join(mirror, 'noarch', name)), record['sha256']);
      }
      const channeldata = await readJson(join(mirror, 'channeldata.json'));
      assert.deepEqual(channeldata['subdirs'], ['noarch']);
      assert.ok(
        (channeldata['packages'] as Record<string, unknown>)['another_dependent'],
        'channeldata rebuilt after the import',
      );
    } finally {
      await cleanup();
    }
  });

  test('a folder with repodata keeps its records verbatim and reports listed-but-missing files', async () => {
    const { dir, cleanup } = await scratch('import-repodata');
    try {
      const mirror = join(dir, 'mirror');
      const results = await runImport(condaFormatRepo, mirror, dir);
      const linux = results.find((r) => r.subdir === 'linux-64')!;
      assert.equal(linux.recordsFrom, 'repodata');
      assert.deepEqual(
        linux.rejected.map((r) => r.filename),
        ['libgcc-ng-8.2.0-hdf63c60_1.tar.bz2'],
      );
      const published = allRecords(await readJson(join(mirror, 'linux-64', 'repodata.json')));
      const upstream = allRecords(await readJson(join(condaFormatRepo, 'linux-64', 'repodata.json')));
      delete upstream['libgcc-ng-8.2.0-hdf63c60_1.tar.bz2'];
      assert.deepEqual(
        published,
        Object.fromEntries(Object.entries(upstream).map(([k, v]) => [k, expectedRecord(v)])),
      );
    } finally {
      await cleanup();
    }
  });

  test('patch_instructions.json is applied, imports merge into the published channel, and corrupt archives are refused', async () => {
    const { dir, cleanup } = await scratch('import-patch');
    try {
      const mirror = join(dir, 'mirror');
      await runImport(await bareRecipes(dir, ['versioned-1.0-0.conda']), mirror, dir);
      await rm(join(dir, 'bundle'), { recursive: true });

      const bundle = await bareRecipes(dir, [
        'dependent-1.0-0.conda',
        'dependency-1.0-0.conda',
        'versioned-2.0-0.conda',
      ]);
      await writeFile(join(bundle, 'noarch', 'broken-1.0-0.conda'), 'not a zip at all');
      await writeFile(
        join(bundle, 'noarch', 'patch_instructions.json'),
        JSON.stringify({
          patch_instructions_version: 1,
          'packages.conda': { 'dependent-1.0-0.conda': { depends: ['dependency >=1.0,<2.0a0', 'python'] } },
          remove: ['versioned-2.0-0.conda'],
        }),
      );
      const [noarch] = await runImport(bundle, mirror, dir);
      assert.equal(noarch!.patched, true);
      assert.deepEqual(
        noarch!.rejected.map((r) => r.filename),
        ['broken-1.0-0.conda'],
      );
      const doc = await readJson(join(mirror, 'noarch', 'repodata.json'));
      const published = allRecords(doc);
      assert.deepEqual(Object.keys(published).sort(), [
        'dependency-1.0-0.conda',
        'dependent-1.0-0.conda',
        'versioned-1.0-0.conda',
      ]);
      assert.deepEqual(published['dependent-1.0-0.conda']!['depends'], ['dependency >=1.0,<2.0a0', 'python']);
      assert.deepEqual(doc['removed'], ['versioned-2.0-0.conda']);
      await assert.rejects(readdir(join(mirror, 'noarch', 'broken-1.0-0.conda')));
    } finally {
      await cleanup();
    }
  });

  test('archives read on worker threads give the same repodata, and a bad archive is named', async () => {
    const { dir, cleanup } = await scratch('import-threads');
    try {
      const bundle = await bareRecipes(dir);
      await writeFile(join(bundle, 'noarch', 'broken-1.0-0.conda'), 'not a zip at all');
      const outputs: Array<{ result: unknown; repodata: string }> = [];
      for (const threads of [0, 2]) {
        const mirror = join(dir, `mirror-${threads}`);
        const [noarch] = await runImport(bundle, mirror, dir, threads);
        assert.equal(noarch!.published, 32, `${threads} threads`);
        outputs.push({
          result: noarch,
          repodata: await readFile(join(mirror, 'noarch', 'repodata.json'), 'utf8'),
        });
      }
      assert.deepEqual(outputs[1], outputs[0]);
      assert.deepEqual((outputs[1]!.result as { rejected: unknown }).rejected, [
        {
          filename: 'broken-1.0-0.conda',
          reason: (outputs[0]!.result as { rejected: Array<{ reason: string }> }).rejected[0]!.reason,
        },
      ]);
      assert.match(
        (outputs[1]!.result as { rejected: Array<{ reason: string }> }).rejected[0]!.reason,
        /^package archive "broken-1\.0-0\.conda": /,
      );
    } finally {
      await cleanup();
    }
  });
});
