import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FaultWorld } from '../support/fault-world.ts';

// docs/design.md §5 invariant 5 for the API process: it holds no sync state of its own, so a SIGKILL
// mid-sync loses nothing. The workers finish the sync, and the restarted API reports it.
describe('the API killed with SIGKILL mid-sync and restarted', { timeout: 120_000 }, () => {
  let world: FaultWorld;

  before(async () => {
    world = await FaultWorld.create({ name: 'faults-api-kill' });
    await Promise.all([world.startApi(), world.startWorkers(2)]);
  });
  after(async () => {
    await world.close();
  });

  test('the sync still finishes, GET /v1/syncs/:id on the new API reports it, invariants hold', async () => {
    world.slowDownUpstream();
    const id = await world.postSync('api-killed');
    await world.harness.waitFor(id, (v) => v.status === 'downloading' && v.counts.downloaded >= 3);
    assert.equal(await world.api!.stop('SIGKILL'), 'SIGKILL');
    const oldBase = world.apiBase;
    await assert.rejects(fetch(`${oldBase}/livez`), 'the old API is gone');
    world.upstream.clearFaults();

    await world.startApi();
    const view = await world.followOverApi(id, 60_000);
    assert.equal(view.status, 'succeeded', JSON.stringify(view));
    assert.equal(view.counts.downloaded + view.counts.skipped, 32, JSON.stringify(view.counts));
    await world.assertPublishedInFull('api-killed');
    const served = await fetch(`${world.apiBase}/conda/api-killed/noarch/repodata.json`);
    assert.equal(served.status, 200);
    await served.arrayBuffer();
    await world.assertNoViolations();
  });
});
