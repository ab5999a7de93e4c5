import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { condasync } from './support/run-cli.ts';

const testRecipes = join(
  import.meta.dirname,
  '../../../test/fixtures/conda-test-data/conda/tests/data/test-recipes',
);

describe('condasync generations and rollback', () => {
  let dir: string;
  let env: Record<string, string>;
  let mirror: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'condasync-generations-cli-'));
    env = { CONDASYNC_WORK_DIR: join(dir, 'work'), CONDASYNC_STORAGE_URL: '' };
    mirror = join(dir, 'mirror');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function config(name: string, pkgList: string[]): Promise<string> {
    const path = join(dir, name);
    await writeFile(
      path,
      `channels: [file://${testRecipes}]\nplatforms: []\nmirror_dir: ${mirror}\npkg_list: [${pkgList.join(', ')}]\n`,
    );
    return path;
  }
  /** GETs `file` of generation `n` from `condasync serve -f config`, then stops the server. */
  async function servedFile(config: string, file: string, n: number) {
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, '../bin/condasync.js'),
        'serve',
        '-f',
        config,
        '--host',
        '127.0.0.1',
        '--port',
        '0',
      ],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      let stdout = '';
      const channelUrl = await new Promise<string>((resolve, reject) => {
        child.stdout?.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const match = / at (http:\/\/\S+\/conda\/[^/\s]+)\/\n/.exec(stdout);
          if (match?.[1] !== undefined) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`condasync serve exited ${code}: ${stdout}`)));
      });
      const response = await fetch(`${channelUrl}@${n}/${file}`);
      return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
    } finally {
      child.kill('SIGTERM');
    }
  }
  const generations = async (file: string) => {
    const listed = await condasync(['generations', '-f', file, '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    return JSON.parse(listed.stdout) as Array<{ n: number; source: string; current: boolean }>;
  };

  test('a sync records a generation, and rollback publishes an older one again as a new one', async () => {
    const narrow = await config('narrow.yaml', ['dependency']);
    const broad = await config('broad.yaml', ['dependency', 'versioned']);
    assert.equal((await condasync(['sync', '-f', narrow], env)).code, 0);
    const first = await readFile(join(mirror, 'noarch', 'repodata.json'));
    assert.equal((await condasync(['sync', '-f', broad], env)).code, 0);
    const second = await readFile(join(mirror, 'noarch', 'repodata.json'));
    assert.equal((await condasync(['sync', '-f', broad], env)).code, 0);
    assert.deepEqual(
      (await generations(broad)).map((g) => [g.n, g.source, g.current]),
      [
        [1, 'local sync', false],
        [2, 'local sync', true],
      ],
    );
    const text = await condasync(['generations', '-f', broad], env);
    assert.match(
      text.stdout,
      /^1\t\S+\tlocal sync\tnoarch\tretained until \S+\n2\t\S+\tlocal sync\tnoarch\tcurrent\n$/,
    );

    const rolled = await condasync(['rollback', '-f', broad, '--generation', '1'], env);
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.equal(rolled.stdout, 'Published generation 1 again as generation 3 (noarch).\n');
    assert.deepEqual(await readFile(join(mirror, 'noarch', 'repodata.json')), first);
    assert.deepEqual(
      (await generations(broad)).map((g) => [g.n, g.source]),
      [
        [1, 'local sync'],
        [2, 'local sync'],
        [3, 'rollback of 1'],
      ],
    );

    // `condasync serve` serves a generation of the mirror folder at /conda/<name>@<n>/.
    const served = await servedFile(broad, 'noarch/repodata.json', 2);
    assert.equal(served.status, 200);
    assert.deepEqual(served.body, second);

    const unknown = await condasync(['rollback', '-f', broad, '--generation', '9'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /generation 9 does not exist; retained generations: 1, 2, 3/);
    const bad = await condasync(['rollback', '-f', broad, '--generation', 'two'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--generation must be a generation number \(1, 2, …\), got "two"/);
  });

  test('rollback is refused when the generation lists a file no longer stored; clean ends older generations', async () => {
    const broad = await config('broad.yaml', ['dependency', 'versioned']);
    const narrow = await config('narrow.yaml', ['dependency']);
    assert.equal((await condasync(['sync', '-f', broad], env)).code, 0);
    assert.equal((await condasync(['sync', '-f', narrow], env)).code, 0);
    await rm(join(mirror, 'noarch', 'versioned-2.0-0.conda'));
    const refused = await condasync(['rollback', '-f', narrow, '--generation', '1'], env);
    assert.equal(refused.code, 4);
    assert.match(refused.stderr, /noarch\/versioned-2\.0-0\.conda \(missing\).*nothing was published/);
    assert.equal((await generations(narrow)).length, 2);

    const clean = await condasync(['clean', '-f', narrow], env);
    assert.equal(clean.code, 0, clean.stderr);
    assert.deepEqual(
      (await generations(narrow)).map((g) => g.n),
      [2],
      'clean deleted what generation 1 lists, so generation 1 is gone',
    );
    const pruned = await condasync(['rollback', '-f', narrow, '--generation', '1'], env);
    assert.equal(pruned.code, 2);
    assert.match(
      pruned.stderr,
      /generation 1 was pruned \(its grace period ended, or a clean deleted files it lists\); retained generations: 2/,
    );
  });
});
