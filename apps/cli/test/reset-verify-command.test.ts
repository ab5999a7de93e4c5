import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FixtureUpstream, startFixtureUpstream } from '../../../test/support/fixture-upstream.ts';
import { condasync } from './support/run-cli.ts';

const testRecipes = join(
  import.meta.dirname,
  '../../../test/fixtures/conda-test-data/conda/tests/data/test-recipes',
);
const victim = 'noarch/dependency-2.0-0.conda';

/** Flips one byte in the middle of a file, in place: same size, other sha256 (bit rot). */
async function flipByte(path: string): Promise<void> {
  const bytes = await readFile(path);
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = (bytes[middle] as number) ^ 0xff;
  await writeFile(path, bytes);
}

function packageRequests(upstream: FixtureUpstream): string[] {
  return [...upstream.requests.byPath.keys()].filter((path) => /\.(conda|tar\.bz2)$/.test(path)).sort();
}

describe('condasync sync --reset, --account and condasync verify', () => {
  let dir: string;
  let mirror: string;
  let config: string;
  let env: Record<string, string>;
  let upstream: FixtureUpstream;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'condasync-reset-'));
    upstream = await startFixtureUpstream({ root: testRecipes });
    mirror = join(dir, 'mirror');
    config = join(dir, 'sync.yaml');
    await writeFile(config, `channels: [${upstream.channelUrl()}]\nplatforms: []\nmirror_dir: ${mirror}\n`);
    env = { CONDASYNC_WORK_DIR: join(dir, 'work'), CONDASYNC_STORAGE_URL: '' };
    const first = await condasync(['sync', '-f', config], env);
    assert.equal(first.code, 0, first.stderr);
  });
  after(async () => {
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a reset run when nothing changed refetches repodata unconditionally and downloads no package', async () => {
    upstream.resetCounts();
    const plain = await condasync(['sync', '-f', config], env);
    assert.equal(plain.code, 0, plain.stderr);
    // Without --reset the cached repodata is revalidated with If-None-Match.
    assert.equal(upstream.conditionalRequests.count('noarch/repodata.json'), 1);

    upstream.resetCounts();
    const reset = await condasync(['sync', '-f', config, '--reset'], env);
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal(upstream.requests.count('noarch/repodata.json'), 1);
    assert.equal(upstream.conditionalRequests.total, 0, 'a reset sends no If-None-Match');
    assert.deepEqual(packageRequests(upstream), []);
  });

  test('a reset after a stored file was corrupted on disk re-downloads exactly that one', async () => {
    const stored = join(mirror, victim);
    const good = await readFile(stored);
    await flipByte(stored);

    upstream.resetCounts();
    const plain = await condasync(['sync', '-f', config], env);
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual(packageRequests(upstream), [], 'a plain sync trusts the stored size');

    upstream.resetCounts();
    const reset = await condasync(['sync', '-f', config, '--reset'], env);
    assert.equal(reset.code, 0, reset.stderr);
    assert.deepEqual(packageRequests(upstream), [victim]);
    assert.deepEqual(await readFile(stored), good);
  });

  test('verify reports a flipped byte (exit 1), --repair restores it, and a second verify is clean', async () => {
    const clean = await condasync(['verify', '-f', config], env);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /Verified \d+ file\(s\).*: 0 missing, 0 mismatched/);

    const stored = join(mirror, victim);
    const good = await readFile(stored);
    await flipByte(stored);
    const found = await condasync(['verify', '-f', config, '--json'], env);
    assert.equal(found.code, 1, found.stderr);
    const report = JSON.parse(found.stdout) as { status: string; mismatched: number; problems: unknown[] };
    assert.equal(report.status, 'problems');
    assert.equal(report.mismatched, 1);
    assert.deepEqual(
      report.problems.map((p) => (p as { filename: string; status: string }).filename),
      ['dependency-2.0-0.conda'],
    );
    const repodataBefore = await readFile(join(mirror, 'noarch/repodata.json'));

    upstream.resetCounts();
    const repaired = await condasync(['verify', '-f', config, '--repair'], env);
    assert.equal(repaired.code, 0, repaired.stdout + repaired.stderr);
    assert.match(repaired.stdout, /mismatch noarch\/dependency-2\.0-0\.conda: sha256 .* \(repaired\)/);
    assert.deepEqual(packageRequests(upstream), [victim]);
    assert.deepEqual(await readFile(stored), good);
    assert.deepEqual(await readFile(join(mirror, 'noarch/repodata.json')), repodataBefore);

    const again = await condasync(['verify', '-f', config], env);
    assert.equal(again.code, 0, again.stdout);
  });

  test('verify reports a deleted package as missing', async () => {
    await rm(join(mirror, 'noarch/dependent-1.0-0.conda'));
    const result = await condasync(['verify', '-f', config], env);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /missing +noarch\/dependent-1\.0-0\.conda: not in storage/);
    assert.match(result.stdout, /1 missing, 0 mismatched, 0 repaired/);
    const repaired = await condasync(['verify', '-f', config, '--repair'], env);
    assert.equal(repaired.code, 0, repaired.stdout);
    assert.equal((await condasync(['verify', '-f', config], env)).code, 0);
  });

  test('--account and --dest-channel override dest_channel, in --show-config and in the run', async () => {
    const shared = join(dir, 'shared.yaml');
    await writeFile(shared, `channels: [${upstream.channelUrl()}]\nplatforms: []\ndest_channel: mine\n`);
    for (const flag of ['--account', '--dest-channel']) {
      const shown = await condasync(['sync', '-f', shared, flag, 'theirs', '--show-config'], env);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /^dest_channel: theirs$/m);
    }
    const bad = await condasync(['sync', '-f', shared, '--account', '../up', '--show-config'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /dest_channel/);

    const storage = join(dir, 'storage');
    const storeEnv = { ...env, CONDASYNC_STORAGE_URL: `file://${storage}` };
    const synced = await condasync(['sync', '-f', shared, '--account', 'theirs'], storeEnv);
    assert.equal(synced.code, 0, synced.stderr);
    assert.ok(JSON.parse(await readFile(join(storage, 'theirs/noarch/repodata.json'), 'utf8')));
    await assert.rejects(readFile(join(storage, 'mine/noarch/repodata.json')), { code: 'ENOENT' });
    const verified = await condasync(['verify', '-f', shared, '--account', 'theirs'], storeEnv);
    assert.equal(verified.code, 0, verified.stdout);
    assert.doesNotMatch(verified.stdout, /Verified 0 file/);
  });
});
