import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type FixtureUpstream, startFixtureUpstream } from '../../../test/support/fixture-upstream.ts';
import { resolveSyncConfig } from '../src/config/index.ts';
import { MirrorError } from '../src/errors.ts';
import { allRecords, readJson, scratch, syncInto, testConfig, testRecipes } from './sync-helpers.ts';

describe('solver-exact subsets (environments)', () => {
  let upstream: FixtureUpstream;
  before(async () => {
    upstream = await startFixtureUpstream({ root: testRecipes });
  });
  after(() => upstream.close());

  async function mirrored(raw: Record<string, unknown>, channel = upstream.channelUrl()): Promise<string[]> {
    const { dir, cleanup } = await scratch('env');
    try {
      const mirror = join(dir, 'mirror');
      const report = await syncInto(
        mirror,
        join(dir, 'work'),
        testConfig({
          channels: [channel],
          platforms: ['linux-64'],
          mirror_dir: mirror,
          ...raw,
        }),
      );
      assert.deepEqual(report.failures, []);
      return Object.keys(allRecords(await readJson(join(mirror, 'noarch', 'repodata.json')))).sort();
    } finally {
      await cleanup();
    }
  }

  test('mirrors exactly the packages of the solution, far fewer than the dependency closure', async () => {
    const solved = await mirrored({ environments: [{ name: 'app', specs: ['another_dependent 1.*'] }] });
    // rattler picks the newest dependent and dependency that satisfy the spec: one build each.
    assert.deepEqual(solved, [
      'another_dependent-1.0-0.conda',
      'dependency-2.0-0.conda',
      'dependent-2.0-0.conda',
    ]);
    const closure = await mirrored({ pkg_list: ['another_dependent 1.*'], include_dependencies: true });
    assert.deepEqual(closure, [
      'another_dependent-1.0-0.conda',
      'dependency-1.0-0.conda',
      'dependency-2.0-0.conda',
      'dependent-1.0-0.conda',
      'dependent-2.0-0.conda',
    ]);
  });

  test('solves against a file:// channel too (served to the solver on a loopback port)', async () => {
    const environments = [{ name: 'app', specs: ['another_dependent 1.*'] }];
    const overHttp = await mirrored({ environments });
    assert.deepEqual(await mirrored({ environments }, pathToFileURL(testRecipes).href), overHttp);
    assert.equal(overHttp.length, 3);
  });

  test('several environments and pkg_list combine as a union', async () => {
    const union = await mirrored({
      pkg_list: ['clobber-a'],
      environments: [
        { name: 'one', specs: ['dependent 1.*'] },
        { name: 'two', specs: ['versioned 2.*'] },
      ],
    });
    assert.deepEqual(union, [
      'clobber-a-1.0-0.conda',
      'dependency-1.0-0.conda',
      'dependent-1.0-0.conda',
      'versioned-2.0-0.conda',
    ]);
  });

  test('an unsatisfiable environment fails the sync with the solver’s reason, naming the environment', async () => {
    await assert.rejects(
      mirrored({ environments: [{ name: 'broken', specs: ['unsatisfiable'] }] }),
      (error: unknown) => {
        assert.ok(error instanceof MirrorError);
        assert.match(error.message, /environment 'broken' cannot be solved for linux-64/);
        return true;
      },
    );
  });

  test('config errors name the key path', () => {
    assert.throws(
      () =>
        resolveSyncConfig({
          platforms: ['linux-64'],
          blacklist: ['x'],
          environments: [
            { specs: ['numpy >=1.2', 'bad spec ]['], platforms: ['osx-64'] },
            { name: 'no-specs' },
          ],
        }),
      (error: MirrorError) => {
        const paths = error.details.map((d) => d.path).sort();
        assert.deepEqual(paths, [
          'environments',
          'environments[0].platforms[0]',
          'environments[0].specs[1]',
          'environments[1]',
        ]);
        return true;
      },
    );
  });
});
