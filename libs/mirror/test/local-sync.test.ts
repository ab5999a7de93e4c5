import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FixtureUpstream, startFixtureUpstream } from '../../../test/support/fixture-upstream.ts';
import {
  allRecords,
  condaFormatRepo,
  expectedRecord,
  readJson,
  scratch,
  sha256File,
  syncInto,
  testConfig,
  testRecipes,
} from './sync-helpers.ts';

/** Checks the published channel against upstream: records verbatim, every file's sha256 as listed. */
async function assertFaithfulMirror(
  mirrorDir: string,
  upstreamDir: string,
  subdir: string,
  skip: ReadonlySet<string> = new Set(),
) {
  const published = allRecords(await readJson(join(mirrorDir, subdir, 'repodata.json')));
  const upstream = allRecords(await readJson(join(upstreamDir, subdir, 'repodata.json')));
  const expectedNames = Object.keys(upstream)
    .filter((name) => !skip.has(name))
    .sort();
  assert.deepEqual(Object.keys(published).sort(), expectedNames, `${subdir}: published filenames`);
  for (const name of expectedNames) {
    assert.deepEqual(
      published[name],
      expectedRecord(upstream[name]!),
      `${subdir}/${name}: record differs from upstream`,
    );
    const file = join(mirrorDir, subdir, name);
    assert.equal((await stat(file)).size, published[name]!['size'], `${subdir}/${name}: size`);
    assert.equal(await sha256File(file), published[name]!['sha256'], `${subdir}/${name}: sha256`);
  }
}

describe('local sync of real fixture channels', () => {
  let upstream: FixtureUpstream;
  before(async () => {
    upstream = await startFixtureUpstream({ root: condaFormatRepo });
  });
  after(() => upstream.close());

  test('conda_format_repo over HTTP: records verbatim, hashes verified, missing files reported', async () => {
    const { dir, cleanup } = await scratch('cfr');
    try {
      const mirror = join(dir, 'mirror');
      const config = testConfig({
        channels: [upstream.channelUrl()],
        platforms: ['linux-64', 'osx-64', 'win-64', 'win-32'],
        mirror_dir: mirror,
      });
      const report = await syncInto(mirror, join(dir, 'work'), config);
      // The fixture lists records whose files it does not ship: they must fail with a 404, not be published.
      const missing = new Map([
        ['linux-64', new Set(['libgcc-ng-8.2.0-hdf63c60_1.tar.bz2'])],
        [
          'win-64',
          new Set([
            'vc-14.1-h0510ff6_4.tar.bz2',
            'vs2015_runtime-14.15.26706-h3a45250_4.tar.bz2',
            'zlib-1.2.8-0.tar.bz2',
          ]),
        ],
      ]);
      assert.equal(report.status, 'partial');
      assert.deepEqual(
        report.failures.map((f) => `${f.subdir}/${f.filename}`).sort(),
        [...missing].flatMap(([subdir, names]) => [...names].map((n) => `${subdir}/${n}`)).sort(),
      );
      for (const failure of report.failures) assert.match(failure.reason, /HTTP 404/);
      for (const subdir of ['linux-64', 'osx-64', 'win-64']) {
        await assertFaithfulMirror(mirror, condaFormatRepo, subdir, missing.get(subdir));
      }
      const win32 = allRecords(await readJson(join(mirror, 'win-32', 'repodata.json')));
      assert.ok(Object.keys(win32).length > 0, 'win-32 published');
      // noarch always exists, even empty.
      const noarch = await readJson(join(mirror, 'noarch', 'repodata.json'));
      assert.deepEqual(noarch['info'], { subdir: 'noarch' });
      await stat(join(mirror, 'linux-64', 'repodata.json.zst'));
    } finally {
      await cleanup();
    }
  });

  test('test-recipes from a file:// channel: every record and file as upstream', async () => {
    const { dir, cleanup } = await scratch('recipes');
    try {
      const mirror = join(dir, 'mirror');
      const config = testConfig({
        channels: [`file://${testRecipes}`],
        platforms: ['linux-64'],
        mirror_dir: mirror,
      });
      const report = await syncInto(mirror, join(dir, 'work'), config);
      assert.equal(report.status, 'succeeded');
      assert.deepEqual(report.failures, []);
      await assertFaithfulMirror(mirror, testRecipes, 'noarch');
      const linux = await readJson(join(mirror, 'linux-64', 'repodata.json'));
      assert.deepEqual(allRecords(linux), {}, 'linux-64 exists upstream as nothing: published empty');
    } finally {
      await cleanup();
    }
  });

  test('two channels offering the same files: the first wins, each collision is reported with both sources', async () => {
    const { dir, cleanup } = await scratch('collisions');
    try {
      const mirror = join(dir, 'mirror');
      const config = testConfig({
        channels: [upstream.channelUrl(), `file://${condaFormatRepo}`],
        platforms: ['linux-64'],
        mirror_dir: mirror,
      });
      upstream.resetCounts();
      const report = await syncInto(mirror, join(dir, 'work'), config);
      // Both channels are the same repo, so every file of each subdir collides, and the first channel wins.
      for (const subdir of ['noarch', 'linux-64']) {
        const offered = Object.keys(
          allRecords(await readJson(join(condaFormatRepo, subdir, 'repodata.json'))),
        );
        const reported = report.collisions.filter((c) => c.subdir === subdir);
        assert.deepEqual(reported.map((c) => c.filename).sort(), offered.sort(), subdir);
        for (const collision of reported)
          assert.deepEqual(collision, {
            subdir,
            filename: collision.filename,
            kept: upstream.channelUrl(),
            dropped: `file://${condaFormatRepo}`,
          });
      }
      assert.ok(report.collisions.length >= 2, JSON.stringify(report.collisions));
      // The files came from the first channel: each one it lists was requested from it.
      const published = allRecords(await readJson(join(mirror, 'linux-64', 'repodata.json')));
      for (const filename of Object.keys(published))
        assert.equal(upstream.requests.count(`linux-64/${filename}`), 1, filename);
    } finally {
      await cleanup();
    }
  });
});

describe('token channels and re-runs', () => {
  let upstream: FixtureUpstream;
  before(async () => {
    upstream = await startFixtureUpstream({ root: testRecipes, token: 'tk-1234-abcd' });
  });
  after(() => upstream.close());

  test('a token URL works, the token never reaches the report, and a second run downloads nothing', async () => {
    const { dir, cleanup } = await scratch('token');
    try {
      const mirror = join(dir, 'mirror');
      assert.match(upstream.channelUrl(), /\/t\/tk-1234-abcd$/);
      const config = testConfig({ channels: [upstream.channelUrl()], platforms: [], mirror_dir: mirror });
      const first = await syncInto(mirror, join(dir, 'work'), config);
      assert.equal(first.status, 'succeeded');
      const noarch = first.subdirs.find((s) => s.subdir === 'noarch')!;
      assert.equal(noarch.downloaded, 32);
      assert.doesNotMatch(JSON.stringify(first), /tk-1234-abcd/);
      await assertFaithfulMirror(mirror, testRecipes, 'noarch');
      const publishedAt = (await stat(join(mirror, 'noarch', 'repodata.json'))).mtimeMs;

      upstream.resetCounts();
      const second = await syncInto(mirror, join(dir, 'work'), config);
      const again = second.subdirs.find((s) => s.subdir === 'noarch')!;
      assert.equal(again.downloaded, 0);
      assert.equal(again.present, 32);
      assert.equal(again.repodataChanged, false);
      const packageRequests = [...upstream.requests.byPath.keys()].filter((p) =>
        /\.(conda|tar\.bz2)$/.test(p),
      );
      assert.deepEqual(packageRequests, [], 'no package was requested again');
      assert.equal(
        (await stat(join(mirror, 'noarch', 'repodata.json'))).mtimeMs,
        publishedAt,
        'repodata not rewritten',
      );
    } finally {
      await cleanup();
    }
  });

  test('a wrong token fails the sync clearly and publishes nothing', async () => {
    const { dir, cleanup } = await scratch('badtoken');
    try {
      const mirror = join(dir, 'mirror');
      const config = testConfig({
        channels: [`${upstream.url}/t/wrong-token`],
        platforms: [],
        mirror_dir: mirror,
      });
      await assert.rejects(syncInto(mirror, join(dir, 'work'), config), (error: Error) => {
        assert.match(error.message, /HTTP 401/);
        assert.doesNotMatch(error.message, /wrong-token/);
        return true;
      });
      await assert.rejects(readdir(join(mirror, 'noarch')), { code: 'ENOENT' });
    } finally {
      await cleanup();
    }
  });
});
