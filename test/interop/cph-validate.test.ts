// conda-package-handling (`cph`, the conda project's archive library) extracting every archive of
// a mirror that `condasync sync` wrote into a folder: three real channels (conda's test-recipes,
// conda's format fixture with .conda and .tar.bz2 for four platforms, conda-index's hotfix
// channel) served by a loopback upstream, mirrored into one folder.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FixtureUpstream, startFixtureUpstream } from '../support/fixture-upstream.ts';
import { condaFormatRepoChannel, fixturesRoot, runPythonJson } from '../support/interop.ts';

const cli = join(import.meta.dirname, '../../apps/cli/bin/condasync.js');
const SUBDIRS = ['linux-64', 'noarch', 'osx-64', 'win-32', 'win-64'];

/**
 * Archives cph 2.6 cannot extract, with the reason: conda's fixture zlib 1.2.11 `.conda` files
 * for linux-64 and osx-64 hold symlinks (lib/libz.so, lib/libz.so.1) that cph's streaming
 * extraction rejects with "seeking backwards is not allowed" (py-rattler 0.28 refuses them too).
 * The files are upstream's own: the test checks that the mirrored copies are byte-identical to
 * conda's and that cph fails on conda's originals in the same way. Their metadata still reads with
 * `cph extract --info`.
 */
const UPSTREAM_UNEXTRACTABLE = [
  'linux-64/zlib-1.2.11-h7b6447c_3.conda',
  'osx-64/zlib-1.2.11-h1de35cc_3.conda',
];

interface CphOutcome {
  path: string;
  ok: boolean;
  error: string | null;
  index: Record<string, unknown> | null;
  files_checked: number;
}

interface PublishedRecord {
  name: string;
  version: string;
  build: string;
  build_number: number;
  subdir?: string;
  sha256: string;
}

const sha256Of = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

describe('conda-package-handling extracts every archive condasync mirrored', () => {
  let upstream: FixtureUpstream;
  let scratch: string;
  let mirror: string;
  let outcomes: CphOutcome[];
  /** `<subdir>/<filename>` → the record the mirror published for it. */
  const published = new Map<string, PublishedRecord>();

  before(async () => {
    upstream = await startFixtureUpstream({ root: fixturesRoot });
    scratch = await mkdtemp(join(tmpdir(), 'condasync-cph-'));
    mirror = join(scratch, 'mirror');
    const config = join(scratch, 'sync.yaml');
    await writeFile(
      config,
      [
        'channels:',
        `  - ${upstream.channelUrl('conda/tests/data/test-recipes')}`,
        `  - ${upstream.channelUrl('conda/tests/data/conda_format_repo')}`,
        `  - ${upstream.channelUrl('conda-index/tests/index_hotfix_pkgs')}`,
        'platforms: [linux-64, osx-64, win-32, win-64]',
        `mirror_dir: ${mirror}`,
        'retries: 1',
        '',
      ].join('\n'),
    );
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env['CONDASYNC_STORAGE_URL'];
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [cli, 'sync', '-f', config, '--json'],
        { env, timeout: 60_000 },
        (error, stdout, stderr) =>
          resolve({ code: error === null ? 0 : Number(error.code ?? -1), stdout, stderr }),
      );
    });
    // Exit 1: partial. conda's format fixture lists four packages it does not ship (404).
    assert.equal(result.code, 1, result.stderr);
    for (const subdir of SUBDIRS) {
      const doc = JSON.parse(await readFile(join(mirror, subdir, 'repodata.json'), 'utf8')) as Record<
        string,
        Record<string, PublishedRecord>
      >;
      for (const [filename, record] of Object.entries({ ...doc['packages'], ...doc['packages.conda'] })) {
        published.set(`${subdir}/${filename}`, record);
      }
    }
    outcomes = (
      await runPythonJson<{ packages: CphOutcome[] }>(
        'cph_check.py',
        [mirror, join(scratch, 'extracted')],
        90_000,
      )
    ).packages;
  });

  after(async () => {
    await upstream.close();
    await rm(scratch, { recursive: true, force: true });
  });

  test('every published package is an archive cph extracts, its files matching info/paths.json', () => {
    assert.equal(published.size, 48 - 4, 'records published (48 listed upstream, 4 missing there)');
    assert.deepEqual(
      outcomes.map((o) => o.path),
      [...published.keys()].sort(),
      'exactly the published packages are in the folder',
    );
    const failed = outcomes.filter((o) => !o.ok);
    assert.deepEqual(
      failed.map((o) => o.path),
      UPSTREAM_UNEXTRACTABLE,
      failed.map((o) => `${o.path}: ${o.error}`).join('\n'),
    );
    for (const outcome of failed) assert.match(outcome.error ?? '', /seeking backwards is not allowed/);
    const filesChecked = outcomes.reduce((sum, o) => sum + o.files_checked, 0);
    assert.equal(filesChecked, 68, 'files compared with info/paths.json');
  });

  test('extracted info/index.json names the package its published record describes', () => {
    for (const outcome of outcomes) {
      const record = published.get(outcome.path)!;
      assert.ok(outcome.index, `${outcome.path}: index.json was read`);
      for (const field of ['name', 'version', 'build', 'build_number', 'subdir'] as const) {
        assert.deepEqual(outcome.index[field], record[field], `${outcome.path}: ${field}`);
      }
    }
  });

  test('the archives cph rejects are byte-identical to conda\u2019s and fail there the same way', async () => {
    for (const path of UPSTREAM_UNEXTRACTABLE) {
      const mirrored = await sha256Of(join(mirror, path));
      assert.equal(mirrored, await sha256Of(join(condaFormatRepoChannel, path)), path);
      assert.equal(mirrored, published.get(path)!.sha256, path);
    }
    const original = (
      await runPythonJson<{ packages: CphOutcome[] }>('cph_check.py', [
        condaFormatRepoChannel,
        join(scratch, 'extracted-upstream'),
      ])
    ).packages;
    const failedThere = original.filter((o) => !o.ok);
    assert.deepEqual(
      failedThere.map((o) => o.path),
      UPSTREAM_UNEXTRACTABLE,
    );
    for (const outcome of failedThere) assert.match(outcome.error ?? '', /seeking backwards is not allowed/);
  });
});
