import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { condasync } from './support/run-cli.ts';

const testRecipes = join(
  import.meta.dirname,
  '../../../test/fixtures/conda-test-data/conda/tests/data/test-recipes',
);

describe('condasync clean', () => {
  let dir: string;
  let env: Record<string, string>;
  let mirror: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'condasync-clean-cli-'));
    env = { CONDASYNC_WORK_DIR: join(dir, 'work'), CONDASYNC_STORAGE_URL: '' };
    mirror = join(dir, 'mirror');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function config(name: string, pkgList: string[]): Promise<string> {
    const path = join(dir, name);
    await writeFile(
      path,
      `channels: [file://${testRecipes}]\nplatforms: []\nmirror_dir: ${mirror}\npkg_list: [${pkgList.join(', ')}]\n`,
    );
    return path;
  }
  const condaFiles = async () =>
    (await readdir(join(mirror, 'noarch'))).filter((f) => f.endsWith('.conda')).sort();

  test('narrowing a filter: --dry-run lists the dropped files and a total, clean deletes them', async () => {
    const broad = await config('broad.yaml', ['dependency', 'versioned']);
    const narrow = await config('narrow.yaml', ['dependency']);
    assert.equal((await condasync(['sync', '-f', broad], env)).code, 0);

    // Before the narrowed sync the published repodata still lists them: kept, and said so.
    const early = await condasync(['clean', '-f', narrow], env);
    assert.equal(early.code, 0, early.stderr);
    assert.match(early.stdout, /^Deleted 0 file\(s\)/);
    assert.match(early.stdout, /Kept 2 file\(s\) the config drops that published repodata still lists/);
    assert.equal((await condaFiles()).length, 4);

    assert.equal((await condasync(['sync', '-f', narrow], env)).code, 0);
    const dry = await condasync(['clean', '-f', narrow, '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^Dry run: would delete 3 file\(s\), .*; nothing was deleted\.\n/);
    assert.match(dry.stdout, /\n {2}noarch\/versioned-1\.0-0\.conda \(3\.7 KiB\)\n/);
    assert.match(dry.stdout, /\n {2}noarch\/versioned-2\.0-0\.conda \(3\.7 KiB\)\n/);
    assert.match(dry.stdout, /\n {2}noarch\/shards\/[0-9a-f]{64}\.msgpack\.zst \(/);
    const json = JSON.parse((await condasync(['clean', '-f', narrow, '--dry-run', '--json'], env)).stdout);
    assert.equal(json.dryRun, true);
    assert.deepEqual(
      json.files
        .filter((f: { kind: string }) => f.kind === 'package')
        .map((f: { filename: string; size: number }) => [f.filename, f.size]),
      [
        ['versioned-1.0-0.conda', 3814],
        ['versioned-2.0-0.conda', 3838],
      ],
    );
    assert.match(dry.stdout, new RegExp(`\\nTotal: 3 file\\(s\\), ${json.bytes} bytes\\.\\n`));
    assert.equal((await condaFiles()).length, 4, 'a dry run deletes nothing');

    const done = await condasync(['clean', '-f', narrow], env);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /^Deleted 3 file\(s\)/);
    assert.deepEqual(await condaFiles(), ['dependency-1.0-0.conda', 'dependency-2.0-0.conda']);
    const published = JSON.parse(await readFile(join(mirror, 'noarch', 'repodata.json'), 'utf8'));
    assert.deepEqual(Object.keys(published['packages.conda']).sort(), await condaFiles());
  });

  test('bad usage names the problem', async () => {
    const missing = await condasync(['clean'], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /condasync clean needs a config file: -f FILE/);
    const help = await condasync(['clean', '--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: condasync clean -f FILE/);
  });
});
