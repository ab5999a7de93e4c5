import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedisConnection, SyncRegistry } from '@condasync/queue';
import type { Redis } from 'ioredis';
import { testRedisUrl, uniqueTestName } from '../../../test/support/services.ts';
import { SYNC_STATUS_TTL_MS, SyncStatusCache } from '../src/services.ts';

let redis: Redis;
let registry: SyncRegistry;
let prefix: string;

before(() => {
  redis = createRedisConnection(testRedisUrl(), { name: 'services-test' });
  prefix = uniqueTestName('services');
  registry = new SyncRegistry(redis, { prefix });
});
after(async () => {
  await redis.quit();
});

/** A sync in `downloading`, as package jobs see it. */
async function runningSync(): Promise<string> {
  const id = uniqueTestName('sync');
  await registry.create({ id, destChannel: 'chan', config: {} });
  await registry.setStatus(id, 'downloading');
  return id;
}

/** The real registry, counting the status reads that go to Redis. */
class CountingRegistry extends SyncRegistry {
  reads = 0;
  override async status(id: string) {
    this.reads += 1;
    return super.status(id);
  }
}

test('package jobs of one sync share one status read per interval, started together or one by one', async () => {
  const id = await runningSync();
  const counting = new CountingRegistry(redis, { prefix });
  const cache = new SyncStatusCache(counting);
  const together = await Promise.all(Array.from({ length: 16 }, () => cache.get(id)));
  assert.deepEqual(new Set(together), new Set(['downloading']));
  for (let i = 0; i < 16; i++) assert.equal(await cache.get(id), 'downloading');
  assert.equal(counting.reads, 1);
  await sleep(SYNC_STATUS_TTL_MS + 50);
  assert.equal(await cache.get(id), 'downloading');
  assert.equal(counting.reads, 2, 'read again once the interval has passed');
});

test('a cancelled sync is seen within the interval, and then for good', async () => {
  const id = await runningSync();
  const counting = new CountingRegistry(redis, { prefix });
  const cache = new SyncStatusCache(counting);
  assert.equal(await cache.get(id), 'downloading');
  assert.ok(await registry.cancel(id));
  await sleep(SYNC_STATUS_TTL_MS + 50);
  assert.equal(await cache.get(id), 'cancelled');
  await sleep(SYNC_STATUS_TTL_MS + 50);
  assert.equal(await cache.get(id), 'cancelled');
  assert.equal(counting.reads, 2, 'an ended sync is not read again');
});

test('a sync that does not exist (yet) is read again after the interval', async () => {
  const cache = new SyncStatusCache(registry);
  const id = uniqueTestName('sync');
  assert.equal(await cache.get(id), null);
  await registry.create({ id, destChannel: 'chan', config: {} });
  await sleep(SYNC_STATUS_TTL_MS + 50);
  assert.equal(await cache.get(id), 'queued');
});
