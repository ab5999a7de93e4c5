import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PackageRecordJson } from '@condasync/conda';
import { type FixtureUpstream, startFixtureUpstream } from '../../../../test/support/fixture-upstream.ts';
import { ChannelDataBuilder } from '../../src/outputs/channeldata.ts';
import { condaFormatRepo, fixturesRoot, readJson, scratch, syncInto, testConfig } from '../sync-helpers.ts';
import { fixtureEntries, publishedFileStamps } from './finalize-helpers.ts';

const hotfixRepo = join(fixturesRoot, 'conda-index/tests/index_hotfix_pkgs');

type Packages = Record<string, Record<string, unknown>>;

/** Builds channeldata from a fixture channel's repodata.json files, as finalizeChannel does from the store. */
async function channeldataOf(root: string, subdirs: string[]): Promise<Record<string, unknown>> {
  const builder = new ChannelDataBuilder();
  for (const subdir of [...subdirs].sort()) {
    await builder.addSubdir(
      subdir,
      (await fixtureEntries(join(root, subdir, 'repodata.json'))) as Array<[string, PackageRecordJson]>,
    );
  }
  return JSON.parse(builder.toJson()) as Record<string, unknown>;
}

/** What we cannot know without the archives (about.json, recipe, paths.json, scripts, icons). */
const ARCHIVE_ONLY_KEYS = [
  'description',
  'dev_url',
  'doc_source_url',
  'doc_url',
  'home',
  'icon_hash',
  'icon_url',
  'identifiers',
  'keywords',
  'recipe_origin',
  'source_git_url',
  'source_url',
  'summary',
  'tags',
];

describe('finalize: channeldata.json', () => {
  test("conda-index's hotfix channel: every field we write equals conda-index's, the rest is null there", async () => {
    const expected = await readJson(join(hotfixRepo, 'channeldata.json'));
    const actual = await channeldataOf(hotfixRepo, ['noarch', 'osx-64']);
    assert.equal(actual['channeldata_version'], 1);
    assert.deepEqual(actual['subdirs'], expected['subdirs']);
    const expectedPackages = expected['packages'] as Packages;
    const actualPackages = actual['packages'] as Packages;
    assert.deepEqual(Object.keys(actualPackages), Object.keys(expectedPackages));
    for (const [name, ours] of Object.entries(actualPackages)) {
      const theirs = expectedPackages[name]!;
      for (const [key, value] of Object.entries(ours)) assert.deepEqual(value, theirs[key], `${name}.${key}`);
      const missing = Object.keys(theirs).filter((key) => !(key in ours));
      // license is null there too: these records have none.
      assert.deepEqual(missing, [...ARCHIVE_ONLY_KEYS, 'license'].sort(), name);
      for (const key of missing) assert.equal(theirs[key], null, `${name}.${key}`);
    }
    assert.equal(
      actualPackages['hotfix_depends_test']!['timestamp'],
      1652966521,
      'newest record, in seconds',
    );
  });

  test("conda's conda_format_repo: versions, licenses and subdirs as in its channeldata.json", async () => {
    const subdirs = ['linux-64', 'noarch', 'osx-64', 'win-32', 'win-64'];
    const expected = await readJson(join(condaFormatRepo, 'channeldata.json'));
    const actual = await channeldataOf(condaFormatRepo, subdirs);
    assert.deepEqual(actual['subdirs'], expected['subdirs']);
    const expectedPackages = expected['packages'] as Packages;
    const actualPackages = actual['packages'] as Packages;
    assert.deepEqual(Object.keys(actualPackages), Object.keys(expectedPackages));
    for (const [name, ours] of Object.entries(actualPackages)) {
      const theirs = expectedPackages[name]!;
      // zlib is 1.2.11 although win-64 also has 1.2.8: the newest in conda's order.
      for (const key of ['version', 'license', 'subdirs'])
        assert.deepEqual(ours[key], theirs[key], `${name}.${key}`);
      for (const key of [
        'activate.d',
        'binary_prefix',
        'deactivate.d',
        'post_link',
        'pre_link',
        'pre_unlink',
      ]) {
        assert.equal(ours[key], false, `${name}.${key}`);
      }
      assert.deepEqual(ours['run_exports'], {}, 'no run_exports.json, so none known');
    }
    // zlib's newest record (win-64, 1542815182812 ms) in seconds.
    assert.equal(actualPackages['zlib']!['timestamp'], 1542815182);
  });

  describe('written by a local sync', () => {
    let upstream: FixtureUpstream;
    before(async () => {
      upstream = await startFixtureUpstream({ root: condaFormatRepo });
    });
    after(() => upstream.close());

    test('describes the published packages of every subdir, and a re-run leaves it untouched', async () => {
      const { dir, cleanup } = await scratch('channeldata');
      try {
        const mirror = join(dir, 'mirror');
        const config = testConfig({
          channels: [upstream.channelUrl()],
          platforms: ['linux-64', 'osx-64', 'win-64', 'win-32'],
          mirror_dir: mirror,
        });
        await syncInto(mirror, join(dir, 'work'), config);
        const expected = await readJson(join(condaFormatRepo, 'channeldata.json'));
        const actual = await readJson(join(mirror, 'channeldata.json'));
        assert.deepEqual(actual['subdirs'], expected['subdirs']);
        // libgcc-ng, vc and vs2015_runtime are listed upstream but their files are missing (404):
        // they are not published, so channeldata does not name them.
        const packages = actual['packages'] as Packages;
        assert.deepEqual(Object.keys(packages), ['zlib']);
        const zlib = (expected['packages'] as Packages)['zlib']!;
        assert.deepEqual(
          {
            version: packages['zlib']!['version'],
            license: packages['zlib']!['license'],
            subdirs: packages['zlib']!['subdirs'],
          },
          { version: zlib['version'], license: zlib['license'], subdirs: zlib['subdirs'] },
        );
        const text = await readFile(join(mirror, 'channeldata.json'), 'utf8');
        assert.equal(text, JSON.stringify(JSON.parse(text)), 'compact');

        const stamps = await publishedFileStamps(mirror);
        await syncInto(mirror, join(dir, 'work'), config);
        assert.equal(
          (await publishedFileStamps(mirror)).get('channeldata.json'),
          stamps.get('channeldata.json'),
        );

        // A narrower selection rewrites it: zlib 1.2.8 only exists on win-64 and its file is missing.
        await syncInto(mirror, join(dir, 'work'), testConfig({ ...config, pkg_list: ['zlib <1.2.11'] }));
        const narrowed = await readJson(join(mirror, 'channeldata.json'));
        assert.deepEqual(narrowed['packages'], {});
        assert.deepEqual(narrowed['subdirs'], expected['subdirs'], 'empty subdirs are still subdirs');
      } finally {
        await cleanup();
      }
    });
  });
});
