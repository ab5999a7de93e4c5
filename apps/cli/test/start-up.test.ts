import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { condasync } from './support/run-cli.ts';

const recipes = join(
  import.meta.dirname,
  '../../../test/fixtures/conda-test-data/conda/tests/data/test-recipes',
);
const moduleLog = join(import.meta.dirname, 'support/module-log.ts');

/** The packages (or workspaces) whose modules a CLI run loaded. */
function packagesIn(urls: string[]): Set<string> {
  const names = new Set<string>();
  for (const url of urls) {
    const match =
      /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url) ?? /\/(apps|libs)\/([^/]+)\/src\//.exec(url);
    if (match !== null)
      names.add(
        match[2] === undefined || match[0].includes('node_modules') ? match[1]! : `${match[1]}/${match[2]}`,
      );
  }
  return names;
}

// Start-up is part of every no-op re-run (docs/design.md §9): a command loads what it uses only.
describe('CLI start-up', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'condasync-start-up-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function loadedBy(args: string[], name: string): Promise<Set<string>> {
    const log = join(dir, `${name}.modules`);
    const result = await condasync(args, {
      CONDASYNC_WORK_DIR: join(dir, 'work'),
      CONDASYNC_STORAGE_URL: '',
      CONDASYNC_TEST_MODULE_LOG: log,
      NODE_OPTIONS: `--import ${pathToFileURL(moduleLog).href}`,
    });
    assert.equal(result.code, 0, result.stderr);
    return packagesIn((await readFile(log, 'utf8')).split('\n'));
  }

  test('--version loads no library and no dependency', async () => {
    const loaded = await loadedBy(['--version'], 'version');
    assert.deepEqual([...loaded], ['apps/cli']);
  });

  test('a sync into a mirror_dir loads no S3 SDK, queue, Redis client or HTTP server', async () => {
    const config = join(dir, 'sync.yaml');
    await writeFile(
      config,
      `channels: [${pathToFileURL(recipes).href}]\nplatforms: []\nmirror_dir: ${join(dir, 'mirror')}\n`,
    );
    const loaded = await loadedBy(['sync', '-f', config], 'sync');
    assert.ok(loaded.has('libs/mirror') && loaded.has('libs/storage'), [...loaded].join(', '));
    const heavy = [...loaded].filter((name) =>
      /^@aws-sdk\/|^@smithy\/|^bullmq$|^ioredis$|^fastify$|^apps\/(api|worker)$|^libs\/queue$/.test(name),
    );
    assert.deepEqual(heavy, []);
  });
});
