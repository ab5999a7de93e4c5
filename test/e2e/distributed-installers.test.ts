import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DistributedHarness } from '../support/distributed-harness.ts';
import { type FixtureUpstream, startFixtureUpstream } from '../support/fixture-upstream.ts';

const testRecipes = join(import.meta.dirname, '../fixtures/conda-test-data/conda/tests/data/test-recipes');
const installers = join(import.meta.dirname, '../../libs/mirror/test/fixtures/installers');
const TAMPERED = 'Miniconda3-latest-Linux-x86_64.sh';
const GOOD = 'Miniconda3-py312_24.9.2-0-Linux-x86_64.sh';

// fetch_installers in distributed mode: the finalize job that ends a sync mirrors the installer
// folders (after the packages are published) and records them in the sync's view.
describe('distributed mode: installer folders', () => {
  let channel: FixtureUpstream;
  let remote: FixtureUpstream;
  let harness: DistributedHarness;

  before(async () => {
    channel = await startFixtureUpstream({ root: testRecipes });
    remote = await startFixtureUpstream({ root: installers });
    remote.setFault(`miniconda/${TAMPERED}`, { type: 'corrupt' });
    harness = await DistributedHarness.create('e2e-installers');
    await harness.startWorkers(2);
  });

  after(async () => {
    assert.deepEqual(await harness.close(), [0, 0], 'workers stop cleanly on SIGTERM');
    await channel.close();
    await remote.close();
  });

  test('mirrors the verifiable installers, refuses the tampered one, reports both, and ends partial', async () => {
    const id = await harness.submit({
      channels: [channel.channelUrl()],
      platforms: [],
      pkg_list: ['dependency'],
      dest_channel: 'recipes',
      remote_url: remote.url,
      fetch_installers: true,
      dir_names: ['archive', 'miniconda'],
    });
    const view = await harness.waitForEnd(id);
    assert.equal(view.status, 'partial', JSON.stringify(view));
    assert.equal(view.counts.failed, 0, 'every package made it');
    const byDir = new Map(view.installers?.map((dir) => [dir.dir, dir]));
    assert.equal(byDir.get('archive')?.downloaded, 2);
    assert.deepEqual(
      byDir.get('archive')?.skipped.map((s) => s.filename),
      ['Anaconda3-2.5.0-Linux-x86_64.sh'],
    );
    const miniconda = byDir.get('miniconda');
    assert.equal(miniconda?.downloaded, 1);
    assert.deepEqual(
      miniconda?.failed.map((f) => [f.filename, f.code]),
      [[TAMPERED, 'CHECKSUM_MISMATCH']],
    );
    assert.deepEqual(await harness.listKeys('downloads/miniconda/'), [`downloads/miniconda/${GOOD}`]);
    const bytes = await readFile(join(installers, 'miniconda', GOOD));
    assert.equal(
      await harness.storedSha256(`downloads/miniconda/${GOOD}`),
      createHash('sha256').update(bytes).digest('hex'),
    );
    assert.ok(await harness.storedText('recipes/noarch/repodata.json'), 'the packages were published too');
  });
});
