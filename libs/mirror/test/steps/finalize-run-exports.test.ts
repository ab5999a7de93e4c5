import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { zstdDecompressSync } from 'node:zlib';
import { readArchiveInfo } from '@condasync/conda';
import { startFixtureUpstream } from '../../../../test/support/fixture-upstream.ts';
import {
  condaFormatRepo,
  copyChannel,
  fixturesRoot,
  readJson,
  scratch,
  syncInto,
  testConfig,
  testRecipes,
} from '../sync-helpers.ts';
import { exists, publishedRecords } from './finalize-helpers.ts';

const opensslChannel = join(fixturesRoot, 'rattler/test-data/channels/openssl-run-exports-test');

/**
 * Writes `<channel>/<subdir>/run_exports.json` as conda-index does, from each archive's
 * info/run_exports.json (`{}` for packages without one).
 */
async function writeRunExportsFromArchives(
  channel: string,
  subdir: string,
): Promise<Record<string, unknown>> {
  const dir = join(channel, subdir);
  const packages: Record<string, unknown> = {};
  const conda: Record<string, unknown> = {};
  for (const filename of (await readdir(dir)).filter((name) => /\.(conda|tar\.bz2)$/.test(name)).sort()) {
    const info = await readArchiveInfo(filename, createReadStream(join(dir, filename)));
    (filename.endsWith('.conda') ? conda : packages)[filename] = { run_exports: info.runExports ?? {} };
  }
  const document = { info: { subdir, version: 1 }, packages, 'packages.conda': conda };
  await writeFile(join(dir, 'run_exports.json'), JSON.stringify(document, null, 2));
  return { ...packages, ...conda };
}

/** The published run_exports.json, checked against its .zst twin. */
async function publishedRunExports(mirror: string, subdir: string): Promise<Record<string, unknown>> {
  const json = await readFile(join(mirror, subdir, 'run_exports.json'));
  assert.deepEqual(zstdDecompressSync(await readFile(join(mirror, subdir, 'run_exports.json.zst'))), json);
  return JSON.parse(json.toString('utf8')) as Record<string, unknown>;
}

describe('finalize: run_exports.json (CEP 12)', () => {
  test("rattler's openssl-run-exports-test channel over HTTP: passed through for the published records", async () => {
    const upstream = await startFixtureUpstream({ root: opensslChannel });
    const { dir, cleanup } = await scratch('run-exports-openssl');
    try {
      const mirror = join(dir, 'mirror');
      const report = await syncInto(
        mirror,
        join(dir, 'work'),
        testConfig({ channels: [upstream.channelUrl()], platforms: ['linux-64'], mirror_dir: mirror }),
      );
      // The fixture ships the repodata, not the package: its one record fails and is not published.
      assert.deepEqual(
        report.failures.map((f) => f.filename),
        ['openssl-3.3.1-h4ab18f5_1.conda'],
      );
      assert.equal(
        await readFile(join(mirror, 'linux-64', 'run_exports.json'), 'utf8'),
        '{"info":{"subdir":"linux-64"},"packages":{},"packages.conda":{}}',
      );
      assert.equal(upstream.requests.count('linux-64/run_exports.json.zst'), 1, '.zst asked first');
      assert.equal(upstream.requests.count('linux-64/run_exports.json'), 1);
      assert.equal(
        await exists(join(mirror, 'noarch', 'run_exports.json')),
        false,
        'none upstream, none here',
      );
    } finally {
      await cleanup();
      await upstream.close();
    }
  });

  test('only the selected filenames are kept, entries verbatim; removed upstream means removed here', async () => {
    const { dir, cleanup } = await scratch('run-exports-filter');
    try {
      const channel = await copyChannel(testRecipes, dir);
      const upstreamEntries = await writeRunExportsFromArchives(channel, 'noarch');
      assert.equal(Object.keys(upstreamEntries).length, 32);
      const mirror = join(dir, 'mirror');
      const config = testConfig({
        channels: [`file://${channel}`],
        platforms: [],
        mirror_dir: mirror,
        pkg_list: ['dependency', 'versioned'],
      });
      await syncInto(mirror, join(dir, 'work'), config);
      const published = await publishedRunExports(mirror, 'noarch');
      const filenames = Object.keys(await publishedRecords(mirror, 'noarch')).sort();
      assert.deepEqual(filenames, [
        'dependency-1.0-0.conda',
        'dependency-2.0-0.conda',
        'versioned-1.0-0.conda',
        'versioned-2.0-0.conda',
      ]);
      assert.deepEqual(published, {
        info: { subdir: 'noarch', version: 1 },
        packages: {},
        'packages.conda': Object.fromEntries(filenames.map((f) => [f, upstreamEntries[f]])),
      });

      await rm(join(channel, 'noarch', 'run_exports.json'));
      await syncInto(mirror, join(dir, 'work'), config);
      assert.equal(await exists(join(mirror, 'noarch', 'run_exports.json')), false);
      assert.equal(await exists(join(mirror, 'noarch', 'run_exports.json.zst')), false);
    } finally {
      await cleanup();
    }
  });

  test('real run_exports from the archives reach run_exports.json and channeldata.json', async () => {
    const { dir, cleanup } = await scratch('run-exports-cfr');
    try {
      const channel = await copyChannel(condaFormatRepo, dir);
      const subdirs = ['linux-64', 'osx-64', 'win-32', 'win-64'];
      const upstreamEntries = new Map<string, Record<string, unknown>>();
      for (const subdir of subdirs)
        upstreamEntries.set(subdir, await writeRunExportsFromArchives(channel, subdir));
      const mirror = join(dir, 'mirror');
      await syncInto(
        mirror,
        join(dir, 'work'),
        testConfig({ channels: [`file://${channel}`], platforms: subdirs, mirror_dir: mirror }),
      );
      for (const subdir of subdirs) {
        const published = await publishedRunExports(mirror, subdir);
        const entries = {
          ...(published['packages'] as Record<string, unknown>),
          ...(published['packages.conda'] as Record<string, unknown>),
        };
        assert.deepEqual(entries, upstreamEntries.get(subdir), subdir);
        assert.ok(Object.keys(entries).length >= 2, `${subdir}: the zlib pair`);
      }
      const channeldata = await readJson(join(mirror, 'channeldata.json'));
      const zlib = (channeldata['packages'] as Record<string, Record<string, unknown>>)['zlib']!;
      // conda's fixture has the same exports in channeldata's older, unversioned form.
      const fixture = await readJson(join(condaFormatRepo, 'channeldata.json'));
      const expected = (fixture['packages'] as Record<string, Record<string, unknown>>)['zlib']![
        'run_exports'
      ];
      assert.deepEqual(zlib['run_exports'], { '1.2.11': expected });
    } finally {
      await cleanup();
    }
  });
});
