import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { testRedisUrl, uniqueTestName } from '../../../test/support/services.ts';
import { createRedisConnection } from '../src/connection.ts';
import { newSyncId } from '../src/queues.ts';
import { RollbackLock } from '../src/rollback-lock.ts';
import { SyncRegistry } from '../src/sync-registry.ts';

describe('RollbackLock against a real Redis', () => {
  let redis: Redis;
  let registry: SyncRegistry;
  let lock: RollbackLock;
  before(() => {
    redis = createRedisConnection(testRedisUrl(), { name: 'rollback-lock-test' });
    registry = new SyncRegistry(redis, { prefix: uniqueTestName('rollback-lock') });
    lock = new RollbackLock(registry);
  });
  after(() => redis.quit());

  test('a sync waits while a rollback holds the channel, and gets it once the rollback ended', async () => {
    const sync = newSyncId();
    await registry.create({ id: sync, destChannel: 'ch', config: { dest_channel: 'ch' } });
    const outcome = await lock.hold('ch', async () => {
      // A holder with no status would be taken over at once: the rollback's must read as live.
      assert.equal(await registry.acquireChannelLock('ch', sync, 60_000), false, 'the channel is busy');
      const holder = await registry.channelLockHolder('ch');
      assert.equal(holder?.kind, 'rollback');
      assert.equal(holder?.status, 'running');
      return 'done';
    });
    assert.deepEqual(outcome, { busy: null, value: 'done' });
    assert.equal(await registry.channelLockHolder('ch'), null, 'released');
    assert.equal(await registry.acquireChannelLock('ch', sync, 60_000), true);
  });

  test('a rollback does not run while a sync holds the channel', async () => {
    const sync = newSyncId();
    await registry.create({ id: sync, destChannel: 'busy', config: { dest_channel: 'busy' } });
    assert.equal(await registry.acquireChannelLock('busy', sync, 60_000), true);
    let ran = false;
    const outcome = await lock.hold('busy', async () => {
      ran = true;
    });
    assert.equal(ran, false);
    assert.equal(outcome.busy?.id, sync);
    assert.equal(outcome.busy?.kind, 'sync');
    assert.equal((await registry.channelLockHolder('busy'))?.id, sync, 'the sync keeps its lock');
  });

  test('the lock is released when the rollback fails', async () => {
    await assert.rejects(
      lock.hold('failing', async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await registry.channelLockHolder('failing'), null);
  });
});
