import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '../bin/condasync.js');

// The shim turns on Node's compile cache in the temp folder. Node's own recursive mkdir spins
// forever on some folders it cannot create (TMPDIR=/proc), so the shim must skip the cache there.
describe('bin/condasync.js', () => {
  for (const tmp of ['/proc', '/proc/no-such-folder', '/nonexistent-condasync-tmp']) {
    test(`starts with TMPDIR=${tmp} (no usable temp folder for the compile cache)`, async () => {
      const { stdout } = await run(process.execPath, [bin, '--version'], {
        env: { ...process.env, TMPDIR: tmp },
        timeout: 20_000,
        killSignal: 'SIGKILL',
      });
      assert.match(stdout, /^\d+\.\d+\.\d+\n$/);
    });
  }
});
