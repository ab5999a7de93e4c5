import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DistributedHarness } from '../support/distributed-harness.ts';
import { type FixtureUpstream, startFixtureUpstream } from '../support/fixture-upstream.ts';
import { type RestartableRedis, startRestartableRedis } from '../support/restartable-redis.ts';

const testRecipes = join(import.meta.dirname, '../fixtures/conda-test-data/conda/tests/data/test-recipes');
const SLOW = ['clobber-a-1.0-0.conda', 'clobber-b-1.0-0.conda', 'versioned-1.0-0.conda'];

// docs/design.md §5, invariant 5: a sync survives a Redis crash (kill -9 with AOF) mid-way. The workers
// lose their connection, reconnect to the restarted Redis, and the sync converges to the full
// channel with every package counted once.
describe('Redis killed and restarted mid-sync', () => {
  let upstream: FixtureUpstream;
  let redis: RestartableRedis;
  let harness: DistributedHarness;

  before(async () => {
    upstream = await startFixtureUpstream({ root: testRecipes });
    redis = await startRestartableRedis();
    harness = await DistributedHarness.create('e2e-redis-restart', redis.url);
    await harness.startWorkers(2);
  });
  after(async () => {
    const codes = await harness.close();
    await redis.stop();
    await upstream.close();
    assert.deepEqual(codes, [0, 0], 'the workers outlived the outage and stop cleanly');
  });

  test('the sync converges to the full channel and the workers keep running', async () => {
    for (const name of SLOW) upstream.setFault(`noarch/${name}`, { type: 'slow', bytesPerSecond: 2000 });
    const id = await harness.submit({
      channels: [upstream.channelUrl()],
      platforms: [],
      dest_channel: 'crash',
    });
    await harness.waitFor(id, (v) => v.status === 'downloading' && v.counts.downloaded >= 5);

    await redis.kill();
    await sleep(1500);
    upstream.clearFaults();
    await redis.start();

    const view = await harness.waitForEnd(id, 90_000);
    assert.equal(view.status, 'succeeded', JSON.stringify(view));
    assert.equal(view.counts.downloaded, 32, 'each package counted exactly once');
    for (const worker of harness.workers) assert.equal(worker.child.exitCode, null, 'no worker died');

    await assertPublishedInFull('crash');
  });

  test('Redis wiped mid-sync: a new sync of the channel converges without fetching stored packages again', async () => {
    for (const name of SLOW) upstream.setFault(`noarch/${name}`, { type: 'slow', bytesPerSecond: 2000 });
    const lost = await harness.submit({
      channels: [upstream.channelUrl()],
      platforms: [],
      dest_channel: 'wiped',
    });
    await harness.waitFor(lost, (v) => v.status === 'downloading' && v.counts.downloaded >= 5);
    // Everything in Redis is gone (a new Redis without the old data): only storage remains.
    await harness.redis.flushall();
    upstream.clearFaults();
    upstream.resetCounts();

    const id = await harness.submit({
      channels: [upstream.channelUrl()],
      platforms: [],
      dest_channel: 'wiped',
    });
    const view = await harness.waitForEnd(id, 90_000);
    assert.equal(view.status, 'succeeded', JSON.stringify(view));
    assert.ok(
      view.counts.skipped >= 5,
      `packages stored before the wipe are kept: ${JSON.stringify(view.counts)}`,
    );
    assert.equal(view.counts.downloaded + view.counts.skipped, 32);
    for (const worker of harness.workers) assert.equal(worker.child.exitCode, null, 'no worker died');
    await assertPublishedInFull('wiped');
  });

  async function assertPublishedInFull(channel: string): Promise<void> {
    const upstreamRepodata = JSON.parse(await readFile(join(testRecipes, 'noarch', 'repodata.json'), 'utf8'));
    const published = JSON.parse((await harness.storedText(`${channel}/noarch/repodata.json`))!);
    assert.deepEqual(published['packages.conda'], upstreamRepodata['packages.conda']);
    for (const [filename, record] of Object.entries(
      published['packages.conda'] as Record<string, { sha256: string }>,
    )) {
      assert.equal(await harness.storedSha256(`${channel}/noarch/${filename}`), record.sha256, filename);
    }
  }
});
