import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FixtureUpstream, startFixtureUpstream } from '../../../test/support/fixture-upstream.ts';
import { condasync } from './support/run-cli.ts';

const testRecipes = join(
  import.meta.dirname,
  '../../../test/fixtures/conda-test-data/conda/tests/data/test-recipes',
);
const installers = join(import.meta.dirname, '../../../libs/mirror/test/fixtures/installers');
const TAMPERED = 'Anaconda3-2024.10-1-Windows-x86_64.exe';

describe('condasync sync with fetch_installers', () => {
  let dir: string;
  let remote: FixtureUpstream;
  let env: Record<string, string>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'condasync-cli-installers-'));
    remote = await startFixtureUpstream({ root: installers });
    env = { CONDASYNC_WORK_DIR: join(dir, 'work'), CONDASYNC_STORAGE_URL: '' };
  });
  after(async () => {
    await remote.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('prints each folder with counts, the refused installer with its reason and the skipped row; exits partial', async () => {
    remote.setFault(`archive/${TAMPERED}`, { type: 'corrupt' });
    const mirror = join(dir, 'mirror');
    const config = join(dir, 'sync.yaml');
    await writeFile(
      config,
      [
        `channels: [file://${testRecipes}]`,
        'platforms: []',
        'pkg_list: [dependency]',
        `mirror_dir: ${mirror}`,
        `remote_url: ${remote.url}`,
        'fetch_installers: true',
        'dir_names: [archive, miniconda]',
        'retries: 1',
        '',
      ].join('\n'),
    );
    const dry = await condasync(['sync', '-f', config, '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /Installers downloads\/miniconda\/: would fetch 2, /);
    assert.match(dry.stdout, /\+ downloads\/archive\/Anaconda3-2024\.10-1-Linux-x86_64\.sh/);

    const result = await condasync(['sync', '-f', config], env);
    assert.equal(result.code, 1, `partial (exit 1): ${result.stdout}${result.stderr}`);
    assert.match(
      result.stdout,
      /Installers downloads\/archive\/: 2 listed upstream, 0 present, 1 downloaded \([^)]+\), 1 failed/,
    );
    assert.match(result.stdout, new RegExp(`failed: archive/${TAMPERED.replaceAll('.', '\\.')}: sha256 `));
    assert.match(result.stdout, /skipped Anaconda3-2\.5\.0-Linux-x86_64\.sh: the page lists no sha256/);
    assert.match(
      result.stdout,
      /Installers downloads\/miniconda\/: 2 listed upstream, 0 present, 2 downloaded/,
    );
    assert.deepEqual((await readdir(join(mirror, 'downloads', 'archive'))).sort(), [
      'Anaconda3-2024.10-1-Linux-x86_64.sh',
    ]);
  });
});
