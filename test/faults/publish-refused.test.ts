import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FaultWorld } from '../support/fault-world.ts';

// docs/design.md §5 invariant 3 under a refused publish: finalize keeps the previous version of each
// metadata file it overwrites and puts them all back when the last write (repodata.json) fails.
describe('publish refused by S3', { timeout: 150_000 }, () => {
  let world: FaultWorld;

  before(async () => {
    world = await FaultWorld.create({ name: 'faults-refused' });
    await world.startWorkers(2);
  });
  after(async () => {
    await world.close();
  });

  test('the repodata.json write refused with SlowDown until finalize gives up: nothing published changes', async () => {
    const published = await world.harness.waitForEnd(await world.submit('refused'), 60_000);
    assert.equal(published.status, 'succeeded', JSON.stringify(published));
    const before = await world.harness.storedText('refused/noarch/repodata.json');
    assert.ok(before !== null);
    const metadataBefore = await world.metadataSnapshot('refused');
    assert.ok(metadataBefore['refused/noarch/repodata.json.zst'] !== undefined);
    assert.ok(metadataBefore['refused/noarch/repodata_shards.msgpack.zst'] !== undefined);
    world.proxy.inject({ kind: 'slowdown', method: 'PUT', path: /\/refused\/noarch\/repodata\.json$/ });
    let failed: Awaited<ReturnType<typeof world.harness.waitForEnd>>;
    try {
      // A blacklist makes this run publish a different repodata.json (which S3 then refuses).
      const id = await world.harness.submit({
        channels: [world.upstream.channelUrl()],
        platforms: [],
        dest_channel: 'refused',
        blacklist: ['clobber-a'],
      });
      failed = await world.harness.waitForEnd(id, 90_000);
    } finally {
      world.proxy.clear();
    }
    assert.equal(failed.status, 'failed', JSON.stringify(failed));
    assert.ok(world.proxy.injected.slowdown > 0);
    assert.equal(await world.harness.storedText('refused/noarch/repodata.json'), before);
    assert.deepEqual(
      await world.metadataSnapshot('refused'),
      metadataBefore,
      'no published metadata changed (same ETags, no new files)',
    );
    const leftovers: string[] = [];
    for await (const info of world.harness.store.list('.condasync/undo/')) leftovers.push(info.key);
    assert.deepEqual(leftovers, [], 'the saved copies are removed once restored');
    await world.assertNoViolations();
  });
});
