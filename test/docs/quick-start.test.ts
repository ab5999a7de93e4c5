// The README's quick start as a newcomer runs it, `./condasync sync -f examples/conda-forge-six.yaml`,
// with the machine's own (older) Node first on PATH, against a loopback stand-in for conda-forge.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FixtureUpstream, startFixtureUpstream } from '../support/fixture-upstream.ts';
import { freePort } from '../support/restartable-redis.ts';

const root = join(import.meta.dirname, '../..');
const launcher = join(root, 'condasync');
const exampleUrl = 'https://conda.anaconda.org/conda-forge';

/** Debian's and this image's node live in /usr/bin; put them first, as on a fresh machine. */
const olderNodeFirst = `/usr/local/bin:/usr/bin:/bin:${process.env['PATH'] ?? ''}`;

async function runLauncher(args: string[], cwd: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      launcher,
      args,
      { cwd, env: { ...process.env, PATH: olderNodeFirst, CONDASYNC_WORK_DIR: join(cwd, 'work') } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A noarch subdir with two builds of six and one package the example does not ask for. */
async function writeUpstream(dir: string): Promise<Record<string, string>> {
  const noarch = join(dir, 'noarch');
  await mkdir(noarch, { recursive: true });
  const files = {
    'six-1.16.0-pyh6c4a22f_0.tar.bz2': { name: 'six', version: '1.16.0', build: 'pyh6c4a22f_0' },
    'six-1.17.0-pyhd8ed1ab_0.conda': { name: 'six', version: '1.17.0', build: 'pyhd8ed1ab_0' },
    'toolz-1.0.0-pyhd8ed1ab_1.conda': { name: 'toolz', version: '1.0.0', build: 'pyhd8ed1ab_1' },
  };
  const repodata = { info: { subdir: 'noarch' }, packages: {}, 'packages.conda': {}, repodata_version: 1 };
  const sha256s: Record<string, string> = {};
  for (const [filename, { name, version, build }] of Object.entries(files)) {
    const body = Buffer.from(`stand-in archive ${filename}\n`);
    await writeFile(join(noarch, filename), body);
    sha256s[filename] = createHash('sha256').update(body).digest('hex');
    const section = filename.endsWith('.conda') ? 'packages.conda' : 'packages';
    (repodata[section] as Record<string, unknown>)[filename] = {
      build,
      build_number: 0,
      depends: ['python >=3.7'],
      license: 'MIT',
      md5: createHash('md5').update(body).digest('hex'),
      name,
      noarch: 'python',
      sha256: sha256s[filename],
      size: body.length,
      subdir: 'noarch',
      timestamp: 1_700_000_000_000,
      version,
    };
  }
  await writeFile(join(noarch, 'repodata.json'), JSON.stringify(repodata));
  return sha256s;
}

describe('README quick start: ./condasync on a fresh clone', () => {
  let dir: string;
  let upstream: FixtureUpstream;
  let sha256s: Record<string, string>;
  let example: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'condasync-quick-start-'));
    sha256s = await writeUpstream(join(dir, 'upstream'));
    upstream = await startFixtureUpstream({ root: join(dir, 'upstream') });
    example = await readFile(join(root, 'examples/conda-forge-six.yaml'), 'utf8');
    assert.ok(example.includes(exampleUrl), 'the example no longer names conda-forge');
  });
  after(async () => {
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('starts the CLI at once when it is set up, whatever node comes first on PATH', async () => {
    const result = await runLauncher(['--version'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\d+\.\d+\.\d+\n$/);
    assert.equal(result.stderr, '', 'a set-up clone prints nothing before the command');
  });

  test('mirrors every build of six, and nothing else, into ./mirror', async () => {
    const work = join(dir, 'run');
    await mkdir(work);
    await writeFile(join(work, 'six.yaml'), example.replace(exampleUrl, upstream.channelUrl()));
    const result = await runLauncher(['sync', '-f', 'six.yaml'], work);
    assert.equal(result.code, 0, result.stderr);
    const published = JSON.parse(await readFile(join(work, 'mirror/noarch/repodata.json'), 'utf8'));
    const listed = [...Object.keys(published.packages), ...Object.keys(published['packages.conda'])];
    assert.deepEqual(listed.sort(), ['six-1.16.0-pyh6c4a22f_0.tar.bz2', 'six-1.17.0-pyhd8ed1ab_0.conda']);
    for (const filename of listed) {
      const body = await readFile(join(work, 'mirror/noarch', filename));
      assert.equal(createHash('sha256').update(body).digest('hex'), sha256s[filename], filename);
    }
  });

  test('with the upstream unreachable, fails naming its URL with exit code 3', async () => {
    const work = join(dir, 'offline');
    await mkdir(work);
    const unreachable = `http://127.0.0.1:${await freePort()}/conda-forge`;
    await writeFile(join(work, 'six.yaml'), example.replace(exampleUrl, unreachable));
    const result = await runLauncher(['sync', '-f', 'six.yaml'], work);
    assert.equal(result.code, 3, `${result.stdout}\n${result.stderr}`);
    assert.ok(result.stderr.includes(unreachable), result.stderr);
    assert.match(result.stderr, /previously published repodata is unchanged/);
  });
});
