import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startFixtureUpstream } from '../../../test/support/fixture-upstream.ts';
import { MirrorError } from '../src/errors.ts';
import {
  allRecords,
  copyChannel,
  readJson,
  scratch,
  sha256File,
  syncInto,
  testConfig,
  testRecipes,
} from './sync-helpers.ts';

const HOUR = 3_600_000;

describe('local sync lifecycle', () => {
  test('--dry-run lists additions and removals with sizes and writes nothing', async () => {
    const { dir, cleanup } = await scratch('dry');
    try {
      const mirror = join(dir, 'mirror');
      const base = { channels: [`file://${testRecipes}`], platforms: [], mirror_dir: mirror };
      await syncInto(
        mirror,
        join(dir, 'work'),
        testConfig({ ...base, pkg_list: ['dependency', 'versioned'] }),
      );
      const before = await readFile(join(mirror, 'noarch', 'repodata.json'));

      const report = await syncInto(
        mirror,
        join(dir, 'work'),
        testConfig({ ...base, pkg_list: ['dependency', 'clobber-a'] }),
        { dryRun: true },
      );
      assert.equal(report.dryRun, true);
      assert.deepEqual(report.additions, [
        { subdir: 'noarch', filename: 'clobber-a-1.0-0.conda', size: 4179 },
      ]);
      assert.deepEqual(
        report.removals?.map((r) => [r.filename, r.size]),
        [
          ['versioned-1.0-0.conda', 3814],
          ['versioned-2.0-0.conda', 3838],
        ],
      );
      await assert.rejects(stat(join(mirror, 'noarch', 'clobber-a-1.0-0.conda')), { code: 'ENOENT' });
      assert.deepEqual(await readFile(join(mirror, 'noarch', 'repodata.json')), before, 'repodata untouched');
    } finally {
      await cleanup();
    }
  });

  test('unlisted packages are deleted only after the grace period, and only after the new repodata is out', async () => {
    const { dir, cleanup } = await scratch('grace');
    try {
      const mirror = join(dir, 'mirror');
      const base = {
        channels: [`file://${testRecipes}`],
        platforms: [],
        mirror_dir: mirror,
        grace_period_hours: 24,
      };
      const t0 = Date.parse('2026-01-01T00:00:00Z');
      await syncInto(
        mirror,
        join(dir, 'work'),
        testConfig({ ...base, pkg_list: ['dependency', 'versioned'] }),
        { now: () => t0 },
      );

      const narrowed = testConfig({ ...base, pkg_list: ['dependency'] });
      const first = await syncInto(mirror, join(dir, 'work'), narrowed, { now: () => t0 + HOUR });
      const noarch = first.subdirs.find((s) => s.subdir === 'noarch')!;
      assert.equal(noarch.pendingDeletion, 2);
      assert.equal(noarch.deleted, 0);
      const listed = Object.keys(allRecords(await readJson(join(mirror, 'noarch', 'repodata.json')))).sort();
      assert.deepEqual(
        listed,
        ['dependency-1.0-0.conda', 'dependency-2.0-0.conda'],
        'new repodata published at once',
      );
      await stat(join(mirror, 'noarch', 'versioned-1.0-0.conda')); // still downloadable by cached clients

      const later = await syncInto(mirror, join(dir, 'work'), narrowed, { now: () => t0 + 26 * HOUR });
      assert.equal(later.subdirs.find((s) => s.subdir === 'noarch')!.deleted, 2);
      const files = (await readdir(join(mirror, 'noarch'))).filter((f) => f.endsWith('.conda')).sort();
      assert.deepEqual(files, ['dependency-1.0-0.conda', 'dependency-2.0-0.conda']);
    } finally {
      await cleanup();
    }
  });

  test('pkg_list with include_dependencies mirrors the dependency closure', async () => {
    const { dir, cleanup } = await scratch('closure');
    try {
      const mirror = join(dir, 'mirror');
      const config = testConfig({
        channels: [`file://${testRecipes}`],
        platforms: [],
        mirror_dir: mirror,
        pkg_list: ['another_dependent'],
        include_dependencies: true,
      });
      const report = await syncInto(mirror, join(dir, 'work'), config);
      const listed = Object.keys(allRecords(await readJson(join(mirror, 'noarch', 'repodata.json')))).sort();
      // another_dependent → dependent (both versions) → dependency >=1,<2 and >=2,<3.
      assert.deepEqual(listed, [
        'another_dependent-1.0-0.conda',
        'another_dependent-2.0-0.conda',
        'dependency-1.0-0.conda',
        'dependency-2.0-0.conda',
        'dependent-1.0-0.conda',
        'dependent-2.0-0.conda',
      ]);
      assert.deepEqual(report.unresolved, []);
    } finally {
      await cleanup();
    }
  });

  test('records that carry only an md5 are verified by md5 and stored under their real sha256', async () => {
    const { dir, cleanup } = await scratch('md5');
    try {
      const channel = await copyChannel(testRecipes, dir);
      const repodataPath = join(channel, 'noarch', 'repodata.json');
      const repodata = await readJson(repodataPath);
      const records = repodata['packages.conda'] as Record<string, Record<string, unknown>>;
      delete records['dependency-1.0-0.conda']!['sha256'];
      records['dependency-2.0-0.conda']!['md5'] = '0'.repeat(32);
      delete records['dependency-2.0-0.conda']!['sha256'];
      await writeFile(repodataPath, JSON.stringify(repodata));
      const upstream = await startFixtureUpstream({ root: channel });
      try {
        const mirror = join(dir, 'mirror');
        const config = testConfig({
          channels: [upstream.channelUrl()],
          platforms: [],
          mirror_dir: mirror,
          pkg_list: ['dependency'],
        });
        const report = await syncInto(mirror, join(dir, 'work'), config);
        assert.deepEqual(
          report.failures.map((f) => [f.filename, f.code]),
          [['dependency-2.0-0.conda', 'CHECKSUM_MISMATCH']],
        );
        const published = allRecords(await readJson(join(mirror, 'noarch', 'repodata.json')));
        assert.deepEqual(Object.keys(published), ['dependency-1.0-0.conda']);
        assert.equal(published['dependency-1.0-0.conda']!['sha256'], undefined, 'record kept verbatim');
        assert.equal(
          await sha256File(join(mirror, 'noarch', 'dependency-1.0-0.conda')),
          await sha256File(join(channel, 'noarch', 'dependency-1.0-0.conda')),
        );
      } finally {
        await upstream.close();
      }
    } finally {
      await cleanup();
    }
  });

  test('a cancelled sync publishes nothing and leaves the previous repodata untouched', async () => {
    const { dir, cleanup } = await scratch('cancel');
    try {
      const upstream = await startFixtureUpstream({ root: testRecipes });
      try {
        const mirror = join(dir, 'mirror');
        const base = { channels: [upstream.channelUrl()], platforms: [], mirror_dir: mirror, concurrency: 2 };
        await syncInto(mirror, join(dir, 'work'), testConfig({ ...base, pkg_list: ['dependency'] }));
        const before = await readFile(join(mirror, 'noarch', 'repodata.json'));

        // Every package answers slowly, so the abort lands mid-download.
        for (const name of [
          'clobber-a-1.0-0.conda',
          'clobber-b-1.0-0.conda',
          'versioned-1.0-0.conda',
          'versioned-2.0-0.conda',
        ]) {
          upstream.setFault(`noarch/${name}`, { type: 'slow', bytesPerSecond: 2000 });
        }
        const controller = new AbortController();
        setTimeout(() => controller.abort(new Error('user cancelled')), 300);
        await assert.rejects(
          syncInto(
            mirror,
            join(dir, 'work'),
            testConfig({ ...base, pkg_list: ['dependency', 'clobber-a', 'clobber-b', 'versioned'] }),
            {
              signal: controller.signal,
            },
          ),
          (error: unknown) => error instanceof MirrorError && error.code === 'CANCELLED',
        );
        assert.deepEqual(await readFile(join(mirror, 'noarch', 'repodata.json')), before);
        const leftovers = (await readdir(join(mirror, 'noarch'))).filter((f) =>
          /^(clobber|versioned)/.test(f),
        );
        assert.deepEqual(leftovers, [], 'no partial package is visible');
      } finally {
        await upstream.close();
      }
    } finally {
      await cleanup();
    }
  });
});
