import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { startFixtureUpstream } from '../../../test/support/fixture-upstream.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '../bin/condasync.js');
const testRecipes = join(
  import.meta.dirname,
  '../../../test/fixtures/conda-test-data/conda/tests/data/test-recipes',
);

test('condasync sync reads environment.yml and explicit lockfiles next to the config', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'condasync-envfiles-'));
  const upstream = await startFixtureUpstream({ root: testRecipes });
  try {
    await writeFile(join(dir, 'environment.yml'), 'name: app\ndependencies:\n  - another_dependent 1.*\n');
    await writeFile(
      join(dir, 'lock.txt'),
      `@EXPLICIT\n${upstream.channelUrl()}/noarch/versioned-1.0-0.conda\n`,
    );
    const mirror = join(dir, 'mirror');
    await writeFile(
      join(dir, 'sync.yaml'),
      `channels: [${upstream.channelUrl()}]\nplatforms: [linux-64]\nmirror_dir: ${mirror}\nenvironments:\n  - file: environment.yml\n  - file: lock.txt\n`,
    );
    const result = await run(process.execPath, [bin, 'sync', '-f', join(dir, 'sync.yaml'), '-l', 'error'], {
      env: { ...process.env, CONDASYNC_WORK_DIR: join(dir, 'work') },
    });
    assert.match(result.stdout, /Sync succeeded/);
    const repodata = JSON.parse(await readFile(join(mirror, 'noarch', 'repodata.json'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    assert.deepEqual(Object.keys(repodata['packages.conda']!).sort(), [
      'another_dependent-1.0-0.conda',
      'dependency-2.0-0.conda',
      'dependent-2.0-0.conda',
      'versioned-1.0-0.conda',
    ]);
  } finally {
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  }
});
