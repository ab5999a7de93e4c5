import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { testRedisUrl, uniqueTestName } from '../../../test/support/services.ts';
import { ConfigSeal } from '../src/config-seal.ts';
import { createRedisConnection } from '../src/connection.ts';
import { newImportId } from '../src/import-jobs.ts';
import { newSyncId } from '../src/queues.ts';
import { SyncRegistry } from '../src/sync-registry.ts';

describe('SyncRegistry against a real Redis', () => {
  let redis: Redis;
  let registry: SyncRegistry;
  const registryPrefix = uniqueTestName('registry');
  before(() => {
    redis = createRedisConnection(testRedisUrl(), { name: 'registry-test' });
    registry = new SyncRegistry(redis, { prefix: registryPrefix });
  });
  after(() => redis.quit());

  async function plannedSync(planned: number): Promise<string> {
    const id = newSyncId();
    await registry.create({ id, destChannel: 'ch', config: { dest_channel: 'ch' } });
    await registry.recordPlan(id, [
      { subdir: 'noarch', selected: planned + 1, planned, skipped: 1, bytesPlanned: planned * 10 },
    ]);
    return id;
  }

  test('a sealed config opens only with the key: a worker without it gets a reason, not a guess', async () => {
    const prefix = uniqueTestName('registry-sealed');
    const sealing = new SyncRegistry(redis, { prefix, seal: new ConfigSeal('k'.repeat(32)) });
    const id = newSyncId();
    await sealing.create({ id, destChannel: 'ch', config: { channels: ['https://h/t/tk-secret-1/c'] } });
    assert.deepEqual(await sealing.config(id), { channels: ['https://h/t/tk-secret-1/c'] });
    const keyless = new SyncRegistry(redis, { prefix });
    await assert.rejects(keyless.config(id), /sealed, and this process has no CONDASYNC_SECRET_KEY/);
    const otherKey = new SyncRegistry(redis, { prefix, seal: new ConfigSeal('x'.repeat(32)) });
    await assert.rejects(otherKey.config(id), /does not open with this CONDASYNC_SECRET_KEY/);
  });

  test('each package counts once however often its job ends, and exactly one call is the last', async () => {
    const id = await plannedSync(3);
    const results = await Promise.all([
      registry.finishPackage(id, 'noarch', 'a-1-0.conda', { status: 'downloaded', bytes: 10 }),
      registry.finishPackage(id, 'noarch', 'a-1-0.conda', { status: 'downloaded', bytes: 10 }), // a retried job
      registry.finishPackage(id, 'noarch', 'b-1-0.conda', {
        status: 'failed',
        code: 'UPSTREAM_HTTP',
        reason: 'HTTP 404',
      }),
    ]);
    assert.deepEqual(
      results.map((r) => r.counted),
      [true, false, true],
    );
    assert.equal(results.filter((r) => r.last).length, 0);
    const last = await registry.finishPackage(id, 'noarch', 'c-1-0.conda', {
      status: 'downloaded',
      bytes: 10,
    });
    assert.deepEqual(last, { counted: true, last: true });
    const view = (await registry.get(id))!;
    assert.deepEqual(view.counts, { planned: 3, downloaded: 2, skipped: 1, failed: 1 });
    assert.deepEqual(view.bytes, { planned: 30, downloaded: 20 });
    assert.deepEqual(view.failures, [
      { subdir: 'noarch', filename: 'b-1-0.conda', code: 'UPSTREAM_HTTP', reason: 'HTTP 404' },
    ]);
    assert.deepEqual([...(await registry.failedFilenames(id, 'noarch'))], ['b-1-0.conda']);
    assert.equal(view.subdirs[0]!.status, 'finalizing');

    assert.deepEqual(await registry.finishSubdir(id, 'noarch', 2), { counted: true, remaining: 0 });
    assert.deepEqual(
      await registry.finishSubdir(id, 'noarch', 2),
      { counted: false, remaining: 0 },
      'a retried finalize',
    );
    assert.equal((await registry.get(id))!.finishedAt, null, 'not ended before the caller ends it');
    assert.equal(await registry.completeSync(id), true);
    assert.equal(await registry.completeSync(id), false, 'ended once');
    const done = (await registry.get(id))!;
    assert.equal(done.status, 'partial');
    assert.ok(done.finishedAt);
  });

  test('a cancelled sync stays cancelled, and cancel frees its channel lock', async () => {
    const id = await plannedSync(1);
    assert.equal(await registry.acquireChannelLock('ch', id, 60_000), true);
    const other = newSyncId();
    await registry.create({ id: other, destChannel: 'ch', config: {} });
    assert.equal(await registry.acquireChannelLock('ch', other, 60_000), false, 'the channel is busy');
    assert.equal(await registry.cancel(id), true);
    assert.equal(await registry.cancel(id), false, 'already ended');
    assert.equal(await registry.setStatus(id, 'downloading'), false);
    assert.equal(await registry.status(id), 'cancelled');
    assert.equal(
      await registry.acquireChannelLock('ch', other, 60_000),
      true,
      'the next sync gets the channel',
    );
    await registry.releaseChannelLock('ch', other);
  });

  test('a lock held by a sync that ended without releasing it is taken over', async () => {
    const stale = await plannedSync(1);
    assert.equal(await registry.acquireChannelLock('ch2', stale, 60_000), true);
    await registry.setStatus(stale, 'failed', 'boom');
    const next = newSyncId();
    await registry.create({ id: next, destChannel: 'ch2', config: {} });
    assert.equal(await registry.acquireChannelLock('ch2', next, 60_000), true);
  });

  test('an import holds the channel against syncs until it releases it, and a dead one is taken over', async () => {
    const importId = newImportId();
    assert.equal(await registry.acquireChannelLockForJob('ch3', importId, 60_000), true);
    assert.deepEqual(await registry.channelLockHolder('ch3'), {
      id: importId,
      kind: 'import',
      status: 'running',
    });
    const sync = newSyncId();
    await registry.create({ id: sync, destChannel: 'ch3', config: {} });
    assert.equal(await registry.acquireChannelLock('ch3', sync, 60_000), false, 'the import is running');
    assert.equal(await registry.acquireChannelLockForJob('ch3', importId, 60_000), true, 're-entrant');
    await registry.releaseChannelLockForJob('ch3', importId);
    assert.equal(await registry.acquireChannelLock('ch3', sync, 60_000), true);
    assert.equal(
      await registry.acquireChannelLockForJob('ch3', newImportId(), 60_000),
      false,
      'the sync is running',
    );
    await registry.releaseChannelLock('ch3', sync);

    // A worker killed mid-import: its running mark expires with the lock's TTL, and then anyone may take over.
    const dead = newImportId();
    assert.equal(await registry.acquireChannelLockForJob('ch4', dead, 200), true);
    await redis.pexpire(`${registryPrefix}:lock:channel:ch4`, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const next = newSyncId();
    await registry.create({ id: next, destChannel: 'ch4', config: {} });
    assert.equal(await registry.acquireChannelLock('ch4', next, 60_000), true);
    await assert.rejects(registry.acquireChannelLockForJob('ch4', next, 60_000), /not a job lock holder id/);
  });

  test('listing is newest first and paged', async () => {
    const ids = [];
    for (let n = 0; n < 3; n++) ids.push(await plannedSync(0));
    const first = await registry.list({ limit: 2 });
    assert.equal(first.items.length, 2);
    assert.ok(first.nextCursor);
    const all = [...first.items];
    let cursor: string | null = first.nextCursor;
    while (cursor) {
      const page: Awaited<ReturnType<SyncRegistry['list']>> = await registry.list({ limit: 2, cursor });
      all.push(...page.items);
      cursor = page.nextCursor;
    }
    const order = all.map((v) => v.id);
    assert.deepEqual(order.slice(0, 3), [...ids].reverse());
  });
});
