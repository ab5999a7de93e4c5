import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newSyncId, SyncRegistry } from '@condasync/queue';
import { FsObjectStore } from '@condasync/storage';
import { sampleValue as sample } from '../../../../test/support/prometheus-text.ts';
import { PACKAGE_CONDA, SHARD_LIBGCC, SHARD_ZLIB, writeFixtureChannel } from '../support/fixture-channel.ts';
import { startThrowawayRedis } from '../support/redis-server.ts';
import { startTestApp, type TestApp, tempFsStore } from '../support/test-app.ts';

async function scrape(t: TestApp): Promise<string> {
  const response = await t.app.inject({ url: '/metrics' });
  assert.equal(response.statusCode, 200);
  return response.body;
}

describe('served-request metrics', () => {
  let t: TestApp;
  let dispose: () => Promise<void>;
  before(async () => {
    const fixture = await tempFsStore();
    dispose = fixture.dispose;
    await writeFixtureChannel(fixture.store, 'fixture');
    t = await startTestApp({ store: new FsObjectStore({ root: fixture.root }) });
  });
  after(async () => {
    await t.close();
    await dispose();
  });

  it('counts channel-file requests by kind and outcome, 304s and ranges included, with latency', async () => {
    const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ url, headers });
    const repodata = await get('/conda/fixture/linux-64/repodata.json');
    assert.equal(repodata.statusCode, 200);
    assert.equal(
      (await get('/conda/fixture/linux-64/repodata.json', { 'if-none-match': String(repodata.headers.etag) }))
        .statusCode,
      304,
    );
    assert.equal(
      (await get(`/conda/fixture/linux-64/${PACKAGE_CONDA}`, { range: 'bytes=0-9' })).statusCode,
      206,
    );
    assert.equal((await get('/conda/fixture/linux-64/missing-1.0-0.conda')).statusCode, 404);
    assert.equal((await get(`/conda/fixture/linux-64/shards/${SHARD_ZLIB}`)).statusCode, 200);
    assert.equal((await get(`/conda/fixture/linux-64/${SHARD_LIBGCC}`)).statusCode, 200);
    assert.equal((await get('/conda/fixture/linux-64/notes.txt')).statusCode, 404);
    await get('/v1/syncs'); // not a channel file: not counted here
    const text = await scrape(t);

    const served = (kind: string, outcome: string) =>
      sample(text, 'condasync_served_requests_total', { kind, outcome });
    assert.equal(served('repodata', 'ok'), 1);
    assert.equal(served('repodata', 'not_modified'), 1);
    assert.equal(served('package', 'partial'), 1);
    assert.equal(served('package', 'not_found'), 1);
    assert.equal(served('shard', 'ok'), 2);
    assert.equal(served('other', 'not_found'), 1);
    const total = [...text.matchAll(/^condasync_served_requests_total\{.*\} (\d+)$/gm)].reduce(
      (sum, match) => sum + Number(match[1]),
      0,
    );
    assert.equal(total, 7, 'only the /conda/… requests');
    assert.equal(
      sample(text, 'condasync_served_request_duration_seconds_count', {
        kind: 'repodata',
        outcome: 'not_modified',
      }),
      1,
    );
    assert.ok(!text.includes('missing-1.0-0') && !text.includes(SHARD_ZLIB), 'no file names in labels');
  });
});

describe('readiness metrics', () => {
  it('say 1 for a ready Redis and store, 0 for a Redis that may evict', async () => {
    const ready = await startTestApp();
    try {
      const text = await scrape(ready);
      assert.equal(sample(text, 'condasync_redis_up'), 1);
      assert.equal(sample(text, 'condasync_storage_up'), 1);
    } finally {
      await ready.close();
    }
    const lru = await startThrowawayRedis(['--maxmemory-policy', 'allkeys-lru', '--appendonly', 'yes']);
    const evicting = await startTestApp({ redis: lru.redis });
    try {
      const text = await scrape(evicting);
      assert.equal(sample(text, 'condasync_redis_up'), 0);
      assert.equal(sample(text, 'condasync_storage_up'), 1);
    } finally {
      await evicting.close();
      await lru.stop();
    }
  });
});

describe('sync outcome metrics, derived from the sync registry', () => {
  let t: TestApp;
  let registry: SyncRegistry;
  const ended = async (channel: string, status: 'succeeded' | 'partial' | 'failed' | 'cancelled') => {
    const id = newSyncId();
    await registry.create({ id, destChannel: channel, config: {} });
    await registry.setStatus(id, status);
    return id;
  };
  before(async () => {
    t = await startTestApp();
    registry = new SyncRegistry(t.redis, { prefix: t.queuePrefix });
  });
  after(async () => {
    await t.close();
  });

  it('count ended syncs, report running ones, and date the last publication of each channel', async () => {
    const empty = await scrape(t);
    assert.equal(sample(empty, 'condasync_syncs_total'), undefined);
    assert.match(empty, /^# TYPE condasync_last_successful_sync_timestamp_seconds gauge$/m);

    await ended('main', 'succeeded');
    await ended('main', 'failed');
    await ended('r', 'cancelled');
    const running = newSyncId();
    await registry.create({ id: running, destChannel: 'main', config: {} });
    await registry.setStatus(running, 'downloading');
    const first = await scrape(t);
    assert.equal(sample(first, 'condasync_syncs_total', { channel: 'main', outcome: 'succeeded' }), 1);
    assert.equal(sample(first, 'condasync_syncs_total', { channel: 'main', outcome: 'failed' }), 1);
    assert.equal(sample(first, 'condasync_syncs_total', { channel: 'r', outcome: 'cancelled' }), 1);
    assert.equal(sample(first, 'condasync_syncs_running', { channel: 'main', state: 'downloading' }), 1);
    const published = sample(first, 'condasync_last_successful_sync_timestamp_seconds', { channel: 'main' });
    assert.ok(published !== undefined && Math.abs(published - Date.now() / 1000) < 60, String(published));
    // A failed or cancelled sync publishes nothing: no freshness for r.
    assert.equal(
      sample(first, 'condasync_last_successful_sync_timestamp_seconds', { channel: 'r' }),
      undefined,
    );

    // The running sync ends partial (it published), a new one is queued: both show at the next scrape.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await registry.setStatus(running, 'partial');
    const queued = newSyncId();
    await registry.create({ id: queued, destChannel: 'r', config: {} });
    const second = await scrape(t);
    assert.equal(sample(second, 'condasync_syncs_total', { channel: 'main', outcome: 'partial' }), 1);
    assert.equal(sample(second, 'condasync_syncs_total', { channel: 'main', outcome: 'succeeded' }), 1);
    assert.equal(sample(second, 'condasync_syncs_running', { channel: 'main' }), undefined);
    assert.equal(sample(second, 'condasync_syncs_running', { channel: 'r', state: 'queued' }), 1);
    const view = await registry.get(running);
    assert.equal(
      sample(second, 'condasync_last_successful_sync_timestamp_seconds', { channel: 'main' }),
      Date.parse(view!.finishedAt!) / 1000,
    );
  });
});
