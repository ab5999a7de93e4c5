import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '../bin/condasync.js');
const formatRepo = join(
  import.meta.dirname,
  '../../../test/fixtures/conda-test-data/conda/tests/data/conda_format_repo',
);

test('condasync import publishes a folder, names what it refused, and exits 1 for it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'condasync-import-cli-'));
  try {
    const mirror = join(dir, 'mirror');
    const result = await run(
      process.execPath,
      [bin, 'import', formatRepo, '--mirror-dir', mirror, '-l', 'error'],
      {
        env: { ...process.env, CONDASYNC_WORK_DIR: join(dir, 'work') },
      },
    ).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stdout,
      /^linux-64: 2 package\(s\) imported \(records from repodata\), 2 published$/m,
    );
    assert.match(
      result.stdout,
      /not imported: libgcc-ng-8\.2\.0-hdf63c60_1\.tar\.bz2: listed in repodata\.json but the file is not in the folder/,
    );
    await stat(join(mirror, 'osx-64', 'zlib-1.2.11-h1de35cc_3.conda'));
    const usage = await run(process.execPath, [bin, 'import', formatRepo]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal((usage as { code: number }).code, 2);
    assert.match((usage as { stderr: string }).stderr, /--mirror-dir or --channel/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
