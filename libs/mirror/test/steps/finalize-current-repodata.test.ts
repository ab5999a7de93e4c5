import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { zstdDecompressSync } from 'node:zlib';
import type { PackageRecordJson } from '@condasync/conda';
import { selectCurrentRecords } from '../../src/outputs/current-repodata.ts';
import {
  allRecords,
  condaFormatRepo,
  expectedRecord,
  fixturesRoot,
  readJson,
  scratch,
  syncInto,
  testConfig,
  testRecipes,
} from '../sync-helpers.ts';
import { exists, fixtureEntries } from './finalize-helpers.ts';

const hotfixRepo = join(fixturesRoot, 'conda-index/tests/index_hotfix_pkgs');

async function selectFrom(root: string, subdir: string): Promise<Record<string, Record<string, unknown>>> {
  const entries = await fixtureEntries(join(root, subdir, 'repodata.json'));
  const chosen = selectCurrentRecords(
    entries.map(([filename, record]) => ({ filename, record: record as PackageRecordJson })),
  );
  return Object.fromEntries(chosen.map(({ filename, record }) => [filename, record]));
}

/** test-recipes' noarch: the newest version of every name, plus what their dependencies need. */
const RECIPES_CURRENT = [
  'activate_deactivate_package-1.0-0.conda',
  'another_dependent-2.0-0.conda',
  'buildstring-1.0-versioned_1.conda',
  'buildstring-1.0-versioned_2.conda',
  'clobber-a-1.0-0.conda',
  'clobber-b-1.0-0.conda',
  'dependency-2.0-0.conda',
  'dependent-2.0-0.conda',
  'failing_post_link-1.0-0.conda',
  'feature-2.0-track_feature2_0.conda',
  'other_dependent-1.0-0.conda',
  'pip-99.99.99-py399_0.conda',
  'post_link-b-1.0-0.conda',
  'post_link-c-1.0-0.conda',
  'post_link-d-1.0-0.conda',
  'post_link-e-1.0-0.conda',
  'post_link_run_in_env_package-1.0-0.conda',
  'pre_link_messages_package-1.0-0.conda',
  'private-package-1.0-0.conda',
  'python-3.99.99-0.conda',
  'run_constrained-1.0-0.conda',
  'sample_noarch_python-1.0-py_0.conda',
  'small-executable-1.0-0.conda',
  'track_feature-2.0-0.conda',
  'unsatisfiable-1.0-0.conda',
  // buildstring-1.0-versioned_1 depends on `versioned 1.*`, which versioned-2.0 does not satisfy.
  'versioned-1.0-0.conda',
  'versioned-2.0-0.conda',
];

describe('finalize: current_repodata.json', () => {
  test("the same records as conda-index's current_repodata.json fixtures, legacy_bz2_md5 included", async () => {
    const cases: Array<[string, string]> = [
      [hotfixRepo, 'osx-64'],
      [condaFormatRepo, 'osx-64'],
      [condaFormatRepo, 'win-32'],
      [condaFormatRepo, 'win-64'],
    ];
    for (const [root, subdir] of cases) {
      const expected = allRecords(await readJson(join(root, subdir, 'current_repodata.json')));
      assert.deepEqual(await selectFrom(root, subdir), expected, `${root}/${subdir}`);
    }
    // Only the .conda of a pair is kept, carrying the md5 of the .tar.bz2 it replaces.
    const win64 = await selectFrom(condaFormatRepo, 'win-64');
    assert.equal(
      win64['zlib-1.2.11-h62dcd97_3.conda']!['legacy_bz2_md5'],
      'a46cf10ba0eece37dffcec2d45a1f4ec',
    );
    assert.equal(win64['zlib-1.2.11-h62dcd97_3.tar.bz2'], undefined);
    assert.equal(win64['zlib-1.2.8-0.tar.bz2'], undefined, 'an older version nothing depends on');
  });

  test('newest versions, all their builds, dependency backfill and no invented features', async () => {
    assert.deepEqual(Object.keys(await selectFrom(testRecipes, 'noarch')).sort(), RECIPES_CURRENT);

    const record = (name: string, version: string, extra: Partial<PackageRecordJson> = {}) => ({
      filename: `${name}-${version}-${extra.build ?? '0'}.conda`,
      record: { name, version, build: '0', build_number: 0, size: 1, depends: [], ...extra },
    });
    const chosen = selectCurrentRecords([
      record('mkl', '2.0', { track_features: 'mkl' }),
      record('mkl', '1.5', { track_features: 'mkl' }),
      record('mkl', '1.0'),
      record('app', '3.0', { depends: ['lib >=1,<2'] }),
      record('lib', '2.0'),
      record('lib', '1.1', { build: 'a' }),
      record('lib', '1.1', { build: 'b', build_number: 1 }),
      record('lib', '1.0'),
    ]).map((entry) => entry.filename);
    assert.deepEqual(chosen, [
      'mkl-2.0-0.conda',
      // The newest build without a feature, for users who do not want the feature.
      'mkl-1.0-0.conda',
      'app-3.0-0.conda',
      'lib-2.0-0.conda',
      // The newest version satisfying `lib >=1,<2`, every build of it.
      'lib-1.1-a.conda',
      'lib-1.1-b.conda',
    ]);
  });

  test('off by default; on publishes it with its .zst; off again removes both', async () => {
    const { dir, cleanup } = await scratch('current');
    try {
      const mirror = join(dir, 'mirror');
      const base = { channels: [`file://${testRecipes}`], platforms: [], mirror_dir: mirror };
      const current = join(mirror, 'noarch', 'current_repodata.json');
      await syncInto(mirror, join(dir, 'work'), testConfig(base));
      assert.equal(await exists(current), false);

      await syncInto(mirror, join(dir, 'work'), testConfig({ ...base, current_repodata: true }));
      const json = await readFile(current);
      assert.deepEqual(zstdDecompressSync(await readFile(`${current}.zst`)), json);
      const document = JSON.parse(json.toString('utf8')) as Record<string, unknown>;
      assert.deepEqual(document['info'], { subdir: 'noarch' });
      assert.equal(document['repodata_version'], 1);
      const records = allRecords(document);
      assert.deepEqual(Object.keys(records).sort(), RECIPES_CURRENT);
      const upstream = allRecords(await readJson(join(testRecipes, 'noarch', 'repodata.json')));
      for (const [filename, record] of Object.entries(records)) {
        assert.deepEqual(record, expectedRecord(upstream[filename]!), filename);
      }

      await syncInto(mirror, join(dir, 'work'), testConfig({ ...base, current_repodata: false }));
      assert.equal(await exists(current), false);
      assert.equal(await exists(`${current}.zst`), false);
    } finally {
      await cleanup();
    }
  });
});
