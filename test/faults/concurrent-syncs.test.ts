import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { zstdDecompressSync } from 'node:zlib';
import { FaultWorld } from '../support/fault-world.ts';

// docs/design.md §5 invariant 6: two syncs of one channel at once never interleave their metadata. The
// second waits (queued) while the first holds the channel; then it plans and publishes on its own.
describe('two syncs of one channel at once', { timeout: 120_000 }, () => {
  let world: FaultWorld;

  before(async () => {
    world = await FaultWorld.create({ name: 'faults-concurrent' });
    await world.startWorkers(2);
  });
  after(async () => {
    await world.close();
  });

  test('one waits while the other runs; each publishes whole; the last one wins', async () => {
    world.slowDownUpstream(4000);
    const first = await world.submit('twice');
    // A different filter, so the two syncs publish different repodata.
    const second = await world.harness.submit({
      channels: [world.upstream.channelUrl()],
      platforms: [],
      dest_channel: 'twice',
      blacklist: ['clobber-a'],
    });
    // Whichever takes the channel first runs alone: never both active at once.
    const ids = { full: first, filtered: second };
    const active = new Set(['planning', 'downloading', 'finalizing']);
    const deadline = Date.now() + 90_000;
    let sawOneWaiting = false;
    for (;;) {
      const [a, b] = await Promise.all([
        world.harness.registry.get(first),
        world.harness.registry.get(second),
      ]);
      assert.ok(
        !(active.has(a!.status) && active.has(b!.status)),
        `both syncs of the channel run at once:\n${JSON.stringify(a)}\n${JSON.stringify(b)}`,
      );
      if (
        (active.has(a!.status) && b!.status === 'queued') ||
        (active.has(b!.status) && a!.status === 'queued')
      ) {
        sawOneWaiting = true;
        if (a!.counts.downloaded + b!.counts.downloaded >= 1) world.upstream.clearFaults();
      }
      if (a!.finishedAt !== null && b!.finishedAt !== null) break;
      assert.ok(Date.now() < deadline, `the two syncs did not both end in 90 s:\n${JSON.stringify([a, b])}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(sawOneWaiting, 'one sync was seen waiting (queued) while the other ran');
    const [a, b] = [await world.harness.waitForEnd(ids.full), await world.harness.waitForEnd(ids.filtered)];
    assert.equal(a.status, 'succeeded', JSON.stringify(a));
    assert.equal(b.status, 'succeeded', JSON.stringify(b));
    const [earlier, later] = Date.parse(a.finishedAt!) <= Date.parse(b.finishedAt!) ? [a, b] : [b, a];
    assert.ok(
      Date.parse(later.startedAt!) >= Date.parse(earlier.finishedAt!),
      `one started ${later.startedAt}, before the other finished ${earlier.finishedAt}`,
    );

    const json = await world.harness.store.get('twice/noarch/repodata.json');
    const zst = await world.harness.store.get('twice/noarch/repodata.json.zst');
    const read = async (object: typeof json): Promise<Buffer> => {
      const chunks: Buffer[] = [];
      for await (const chunk of object!.body) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };
    const jsonBytes = await read(json);
    assert.deepEqual(zstdDecompressSync(await read(zst)), jsonBytes, '.zst and .json are the same document');
    const published = JSON.parse(jsonBytes.toString('utf8'));
    // The one that finished last is what is published, whole.
    assert.equal(
      published['packages.conda']['clobber-a-1.0-0.conda'] === undefined,
      later.id === ids.filtered,
      `published repodata is the last sync's (${later.id === ids.filtered ? 'filtered' : 'full'})`,
    );
    assert.ok(published['packages.conda']['clobber-b-1.0-0.conda']);
    await world.assertNoViolations();
  });
});
