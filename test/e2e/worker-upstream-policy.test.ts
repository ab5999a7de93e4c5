import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DistributedHarness } from '../support/distributed-harness.ts';
import { type FixtureUpstream, startFixtureUpstream } from '../support/fixture-upstream.ts';

const testRecipes = join(import.meta.dirname, '../fixtures/conda-test-data/conda/tests/data/test-recipes');

// The API checks upstreams when a sync is posted; a worker checks again on every connection, so
// a name that resolves elsewhere by then (DNS rebinding), or a sync put on the queue some other
// way, still cannot reach the internal network.
describe('a worker without CONDASYNC_UPSTREAM_ALLOW connects only to public addresses', () => {
  let upstream: FixtureUpstream;
  let harness: DistributedHarness;

  before(async () => {
    upstream = await startFixtureUpstream({ root: testRecipes });
    harness = await DistributedHarness.create('e2e-upstream-policy');
    await harness.startWorkers(1, { CONDASYNC_UPSTREAM_ALLOW: '' });
  });

  after(async () => {
    assert.deepEqual(await harness.close(), [0], 'the worker stops cleanly on SIGTERM');
    await upstream.close();
  });

  for (const host of ['127.0.0.1', 'localhost']) {
    test(`a sync whose upstream is ${host} fails naming the reason, and nothing reaches the upstream`, async () => {
      upstream.resetCounts();
      const id = await harness.submit({
        channels: [upstream.channelUrl().replace('127.0.0.1', host)],
        platforms: ['linux-64'],
        dest_channel: `refused-${host.replace(/\W/g, '')}`,
      });
      const view = await harness.waitForEnd(id);
      assert.equal(view.status, 'failed', JSON.stringify(view));
      assert.match(view.error ?? '', /loopback, private or link-local/);
      assert.equal(upstream.requests.total, 0);
    });
  }
});
