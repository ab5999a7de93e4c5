import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { condasync } from './support/run-cli.ts';

const fixtures = join(import.meta.dirname, '../../../test/fixtures/conda-test-data/conda/tests/data');

describe('condasync CLI', () => {
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'condasync-cli-'));
    env = { CONDASYNC_WORK_DIR: join(dir, 'work'), CONDASYNC_STORAGE_URL: '' };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function configFile(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  test('--version prints the version', async () => {
    const result = await condasync(['--version']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  test('--show-config prints the effective config with defaults, noarch added, tokens redacted', async () => {
    const path = await configFile(
      'show.yaml',
      'channels: [https://conda.anaconda.org/t/secret-token-1/private]\nplatforms: [linux-64]\npython_versions: [3.10]\n',
    );
    for (const flag of ['--show-config', '--config']) {
      const result = await condasync(['sync', '-f', path, flag], env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^path: ${path.replace(/[.]/g, '\\.')}\n`));
      assert.match(result.stdout, /platforms: \[linux-64, noarch\]/);
      assert.match(result.stdout, /python_versions: \['3\.10'\]/);
      assert.match(result.stdout, /zstd_level: 3/);
      assert.doesNotMatch(result.stdout, /secret-token-1/);
    }
  });

  test('an invalid config exits 2 and lists every problem with its key path', async () => {
    const path = await configFile(
      'bad.yaml',
      'platforms: [linux-64, mars-64]\nblacklst: [x]\nconcurrency: many\n',
    );
    const result = await condasync(['sync', '-f', path], env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /platforms\[1\]/);
    assert.match(result.stderr, /blacklst.*blacklist/);
    assert.match(result.stderr, /concurrency/);
    assert.equal(result.stdout, '');
  });

  test('usage mistakes exit 2 with a message', async () => {
    assert.equal((await condasync(['sync'], env)).code, 2);
    assert.match((await condasync(['sync'], env)).stderr, /-f FILE/);
    assert.equal((await condasync(['frobnicate'], env)).code, 2);
    const noDestination = await configFile('nodest.yaml', `channels: [file://${fixtures}/test-recipes]\n`);
    const result = await condasync(['sync', '-f', noDestination], env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /mirror_dir.*CONDASYNC_STORAGE_URL/);
  });

  test('a sync with failed packages exits 1, names them, and publishes the rest', async () => {
    const mirror = join(dir, 'cfr');
    const path = await configFile(
      'cfr.yaml',
      `channels: [file://${fixtures}/conda_format_repo]\nplatforms: [linux-64]\nmirror_dir: ${mirror}\nretries: 0\n`,
    );
    const result = await condasync(['sync', '-f', path], env);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /Sync partial/);
    assert.match(result.stdout, /libgcc-ng-8\.2\.0-hdf63c60_1\.tar\.bz2: not found/);
    // Not a terminal: progress goes out as plain log lines.
    assert.match(result.stderr, /INFO +progress: /);
    await stat(join(mirror, 'linux-64', 'zlib-1.2.11-h7b6447c_3.conda'));
  });

  test('a clean sync exits 0; a re-run downloads nothing; --dry-run --json reports nothing to do', async () => {
    const mirror = join(dir, 'recipes');
    const path = await configFile(
      'recipes.yaml',
      `channels: [file://${fixtures}/test-recipes]\nplatforms: [linux-64]\nmirror_dir: ${mirror}\n`,
    );
    const first = await condasync(['sync', '-f', path], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /noarch +32 +0 +32 \(/);
    const second = await condasync(['sync', '-f', path, '-l', 'warning'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /noarch +32 +32 +0 \(0 B\)/);
    assert.doesNotMatch(second.stderr, /INFO/, 'warning level hides info lines');
    assert.match(second.stderr, /WARN +upstream has no such subdir/);
    const dry = await condasync(['sync', '-f', path, '--dry-run', '--json'], env);
    assert.equal(dry.code, 0);
    const report = JSON.parse(dry.stdout) as { dryRun: boolean; additions: unknown[]; removals: unknown[] };
    assert.equal(report.dryRun, true);
    assert.deepEqual(report.additions, []);
    assert.deepEqual(report.removals, []);
  });
});
