import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FaultWorld } from '../support/fault-world.ts';
import { type SentinelRedis, startSentinelRedis } from '../support/sentinel-redis.ts';

// Redis behind Sentinel (a primary, a replica, three sentinels) fails over mid-sync. The API and
// the workers, given CONDASYNC_REDIS_URL=redis+sentinel://…, follow the sentinels to the new
// primary and the sync converges (docs/design.md §5 invariant 5).
describe('Redis Sentinel failover mid-sync', { timeout: 150_000 }, () => {
  let sentinel: SentinelRedis;
  let world: FaultWorld;

  before(async () => {
    sentinel = await startSentinelRedis();
    world = await FaultWorld.create({ name: 'faults-sentinel', redisUrl: sentinel.url });
    await Promise.all([world.startApi(), world.startWorkers(2)]);
  });
  after(async () => {
    await world?.close();
    await sentinel?.stop();
  });

  test('workers and API reconnect to the new primary; the sync converges; invariants hold', async () => {
    world.slowDownUpstream();
    const id = await world.postSync('failover');
    await world.harness.waitFor(id, (v) => v.status === 'downloading' && v.counts.downloaded >= 3);
    const { from, to } = await sentinel.failover();
    assert.notEqual(from, to);
    world.upstream.clearFaults();

    const view = await world.followOverApi(id, 90_000);
    assert.equal(view.status, 'succeeded', JSON.stringify(view));
    assert.equal(view.counts.downloaded + view.counts.skipped, 32, JSON.stringify(view.counts));
    assert.equal(await sentinel.primaryPort(), to, 'no second failover happened');
    for (const role of [world.api!, ...world.harness.workers]) {
      assert.equal(role.child.exitCode, null, `a role died:\n${role.output().slice(-2000)}`);
    }
    await world.assertPublishedInFull('failover');

    // A sync submitted after the failover runs on the new primary end to end.
    const again = await world.followOverApi(await world.postSync('failover'), 60_000);
    assert.equal(again.status, 'succeeded', JSON.stringify(again));
    assert.equal(again.counts.downloaded, 0, 'the second run finds every package stored');
    await world.assertNoViolations();
  });
});
