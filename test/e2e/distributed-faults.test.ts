import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DistributedHarness } from '../support/distributed-harness.ts';
import { type FixtureUpstream, startFixtureUpstream } from '../support/fixture-upstream.ts';

const testRecipes = join(import.meta.dirname, '../fixtures/conda-test-data/conda/tests/data/test-recipes');
const SLOW = [
  'clobber-a-1.0-0.conda',
  'clobber-b-1.0-0.conda',
  'versioned-1.0-0.conda',
  'versioned-2.0-0.conda',
];

describe('distributed mode under faults', () => {
  let upstream: FixtureUpstream;
  let harness: DistributedHarness;

  before(async () => {
    upstream = await startFixtureUpstream({ root: testRecipes });
    harness = await DistributedHarness.create('e2e-faults');
  });
  after(async () => {
    await harness.close();
    await upstream.close();
  });

  test('a cancelled sync publishes nothing', async () => {
    await harness.startWorkers(2);
    for (const name of SLOW) upstream.setFault(`noarch/${name}`, { type: 'slow', bytesPerSecond: 1500 });
    const id = await harness.submit({
      channels: [upstream.channelUrl()],
      platforms: [],
      dest_channel: 'cancelled',
    });
    await harness.waitFor(id, (v) => v.status === 'downloading');
    assert.equal(await harness.registry.cancel(id), true);
    const view = await harness.waitForEnd(id);
    assert.equal(view.status, 'cancelled');
    // Give in-flight jobs time to end: none of them may publish.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    assert.equal(await harness.store.head('cancelled/noarch/repodata.json'), null);
    assert.equal(await harness.store.head('cancelled/noarch/repodata.json.zst'), null);
    upstream.clearFaults();
  });

  test('SIGTERM lets a worker finish its active downloads and exit in time; the sync completes', async () => {
    if (harness.workers.filter((w) => w.child.exitCode === null).length === 0) await harness.startWorkers(2);
    for (const name of SLOW) upstream.setFault(`noarch/${name}`, { type: 'slow', bytesPerSecond: 2000 });
    const id = await harness.submit({
      channels: [upstream.channelUrl()],
      platforms: [],
      dest_channel: 'sigterm',
    });
    await harness.waitFor(id, (v) => v.status === 'downloading' && v.counts.downloaded >= 3);
    const [first] = harness.workers.filter((w) => w.child.exitCode === null);
    const started = Date.now();
    assert.equal(await first!.stop('SIGTERM'), 0, 'graceful exit code');
    assert.ok(Date.now() - started < 26_000, 'stopped within the 25 s grace');
    assert.match(first!.output(), /"msg":"worker stopped"/);
    upstream.clearFaults();
    const view = await harness.waitForEnd(id, 60_000);
    assert.equal(view.status, 'succeeded', JSON.stringify(view));
    assert.equal(view.counts.downloaded, 32);
  });

  test('killing every worker with SIGKILL mid-sync, then starting new ones, converges to the full channel', async () => {
    for (const name of SLOW) upstream.setFault(`noarch/${name}`, { type: 'slow', bytesPerSecond: 1500 });
    const id = await harness.submit({
      channels: [upstream.channelUrl()],
      platforms: [],
      dest_channel: 'killed',
    });
    await harness.waitFor(id, (v) => v.status === 'downloading' && v.counts.downloaded >= 5);
    for (const worker of harness.workers) await worker.stop('SIGKILL');
    assert.equal(
      await harness.store.head('killed/noarch/repodata.json'),
      null,
      'nothing published before the kill',
    );
    upstream.clearFaults();

    await harness.startWorkers(3);
    const view = await harness.waitForEnd(id, 90_000);
    assert.equal(view.status, 'succeeded', JSON.stringify(view));
    assert.equal(view.counts.downloaded, 32, 'each package counted exactly once despite the retries');

    const upstreamRepodata = JSON.parse(await readFile(join(testRecipes, 'noarch', 'repodata.json'), 'utf8'));
    const published = JSON.parse((await harness.storedText('killed/noarch/repodata.json'))!);
    assert.deepEqual(published['packages.conda'], upstreamRepodata['packages.conda']);
    for (const [filename, record] of Object.entries(
      published['packages.conda'] as Record<string, { sha256: string }>,
    )) {
      assert.equal(await harness.storedSha256(`killed/noarch/${filename}`), record.sha256, filename);
    }
  });
});
