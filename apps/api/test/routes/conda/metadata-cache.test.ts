import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { announcePublished } from '@condasync/queue';
import type { ObjectStore, S3ObjectStore } from '@condasync/storage';
import { Counter, Registry } from 'prom-client';
import { createTestBucket as createBucketWithEnv } from '../../../../../test/support/s3-bucket.ts';
import { testS3Credentials, testS3Endpoint } from '../../../../../test/support/services.ts';
import { MetadataCache } from '../../../src/routes/conda/metadata-cache.ts';
import { metadataSource } from '../../../src/routes/conda/serve-cached.ts';
import {
  type FixtureFiles,
  PACKAGE_CONDA,
  SHARD_ZLIB,
  writeFixtureChannel,
} from '../../support/fixture-channel.ts';
import { stallableS3Store } from '../../support/stalling-proxy.ts';
import {
  CHANNEL_TOKEN,
  startTestApp,
  type TestApp,
  tempFsStore,
  testS3Store,
} from '../../support/test-app.ts';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const REPODATA = '/conda/fixture/linux-64/repodata.json';

async function republish(store: ObjectStore, key: string, text: string): Promise<Buffer> {
  const bytes = Buffer.from(text);
  await store.put(key, bytes, { size: bytes.length, sha256: sha256(bytes) });
  return bytes;
}

/** What the cache reads a store with, outside an app. */
function storeDeps(store: ObjectStore) {
  const servedBytes = new Counter({
    name: 'b',
    help: 'b',
    labelNames: ['kind'] as const,
    registers: [new Registry()],
  });
  return { store, servedBytes, storageReadDeadlineMs: 5_000 };
}

/** Polls until the API serves `expected` at `url`; the milliseconds it took. */
async function waitForBytes(t: TestApp, url: string, expected: Buffer, withinMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const response = await t.app.inject({ method: 'GET', url });
    if (response.rawPayload.equals(expected)) return Date.now() - started;
    if (Date.now() - started > withinMs) assert.fail(`still the old bytes after ${withinMs} ms`);
    await sleep(50);
  }
}

describe('cached metadata while the object store is paused', () => {
  let proxy: Awaited<ReturnType<typeof stallableS3Store>>['proxy'];
  let store: S3ObjectStore;
  let files: FixtureFiles;
  let t: TestApp;
  before(async () => {
    ({ proxy, store } = await stallableS3Store());
    files = await writeFixtureChannel(store, 'fixture');
    t = await startTestApp({
      store,
      // Long enough for a loaded moto to answer the warm-up reads; the stalled ones wait it out.
      storageReadDeadlineMs: 2_000,
      env: { CONDASYNC_METADATA_REVALIDATE_SECONDS: '1' },
    });
  });
  after(async () => {
    await t.close();
    await store.close();
    await proxy.close();
  });

  it('answers 200s, 304s and ranges of warm metadata from memory, and keeps serving it past the revalidation interval', {
    timeout: 30_000,
  }, async () => {
    const shard = `/conda/fixture/linux-64/shards/${SHARD_ZLIB}`;
    const warm = await t.app.inject({ method: 'GET', url: REPODATA });
    assert.equal(warm.statusCode, 200);
    const etag = String(warm.headers.etag);
    assert.equal((await t.app.inject({ method: 'GET', url: shard })).statusCode, 200);
    proxy.stall();
    try {
      for (let pass = 0; pass < 2; pass++) {
        const ok = await t.app.inject({ method: 'GET', url: REPODATA });
        assert.equal(ok.statusCode, 200);
        assert.deepEqual(ok.rawPayload, files.get('linux-64/repodata.json'));
        assert.equal(ok.headers.etag, etag);
        assert.equal(ok.headers['cache-control'], 'public, max-age=60');
        const notModified = await t.app.inject({
          method: 'GET',
          url: REPODATA,
          headers: { 'if-none-match': etag },
        });
        assert.equal(notModified.statusCode, 304);
        const range = await t.app.inject({ method: 'GET', url: REPODATA, headers: { range: 'bytes=0-9' } });
        assert.equal(range.statusCode, 206);
        assert.deepEqual(range.rawPayload, files.get('linux-64/repodata.json')!.subarray(0, 10));
        assert.equal((await t.app.inject({ method: 'GET', url: shard })).statusCode, 200);
        // Past the interval the store is asked, does not answer, and the last bytes are served.
        if (pass === 0) await sleep(1_200);
      }
      // A package never read before waits for the store, and gets the deadline's 503.
      const pkg = await t.app.inject({ method: 'GET', url: `/conda/fixture/linux-64/${PACKAGE_CONDA}` });
      assert.equal(pkg.statusCode, 503);
    } finally {
      proxy.resume();
    }
  });
});

describe('cached metadata after a publish', () => {
  let handle: Awaited<ReturnType<typeof tempFsStore>>;
  let slow: TestApp;
  let quick: TestApp;
  before(async () => {
    handle = await tempFsStore();
    await writeFixtureChannel(handle.store, 'fixture');
    // One app only learns of publishes by notice (an hour between revalidations), one by revalidation.
    slow = await startTestApp({
      store: handle.store,
      env: { CONDASYNC_METADATA_REVALIDATE_SECONDS: '3600' },
    });
    quick = await startTestApp({ store: handle.store, env: { CONDASYNC_METADATA_REVALIDATE_SECONDS: '1' } });
  });
  after(async () => {
    await slow.close();
    await quick.close();
    await handle.dispose();
  });

  it('serves the new bytes once a publish notice arrives, and the same bytes from memory until then', async () => {
    const before = await slow.app.inject({ method: 'GET', url: REPODATA });
    assert.equal(before.statusCode, 200);
    const next = await republish(
      handle.store,
      'fixture/linux-64/repodata.json',
      '{"packages":{},"v":"notice"}',
    );
    const cached = await slow.app.inject({ method: 'GET', url: REPODATA });
    assert.deepEqual(cached.rawPayload, before.rawPayload, 'served from memory, not from the store');
    // Another deployment's notice (another queue prefix) changes nothing.
    await announcePublished(slow.redis, `${slow.queuePrefix}-other`, {
      channel: 'fixture',
      subdir: 'linux-64',
    });
    await sleep(200);
    assert.deepEqual((await slow.app.inject({ method: 'GET', url: REPODATA })).rawPayload, before.rawPayload);
    await announcePublished(slow.redis, slow.queuePrefix, { channel: 'fixture', subdir: 'linux-64' });
    await waitForBytes(slow, REPODATA, next, 5_000);
    const fresh = await slow.app.inject({
      method: 'GET',
      url: REPODATA,
      headers: { 'if-none-match': String(before.headers.etag) },
    });
    assert.equal(fresh.statusCode, 200, 'the old ETag no longer matches');
  });

  it('serves the new bytes within the revalidation interval without a notice', async () => {
    const url = '/conda/fixture/noarch/repodata.json';
    assert.equal((await quick.app.inject({ method: 'GET', url })).statusCode, 200);
    const next = await republish(
      handle.store,
      'fixture/noarch/repodata.json',
      '{"packages":{},"v":"revalidated"}',
    );
    const took = await waitForBytes(quick, url, next, 3_000);
    assert.ok(took <= 3_000);
  });

  it('answers 404 once the file is gone from the store', async () => {
    const url = '/conda/fixture/linux-64/repodata.json.zst';
    assert.equal((await slow.app.inject({ method: 'GET', url })).statusCode, 200);
    await handle.store.delete('fixture/linux-64/repodata.json.zst');
    await announcePublished(slow.redis, slow.queuePrefix, { channel: 'fixture' });
    const started = Date.now();
    while ((await slow.app.inject({ method: 'GET', url })).statusCode !== 404) {
      assert.ok(Date.now() - started < 5_000, 'still served 5 s after the notice');
      await sleep(50);
    }
  });
});

describe('the metadata cache bound', () => {
  it('holds at most its bytes, evicting the least recently used, and leaves large files to streaming', async () => {
    const handle = await tempFsStore();
    try {
      const files = await writeFixtureChannel(handle.store, 'fixture');
      const deps = storeDeps(handle.store);
      const small = ['channeldata.json', 'noarch/repodata.json', `linux-64/${SHARD_ZLIB}`];
      const sizes = small.map((name) => files.get(name)!.length);
      const maxBytes = 4 * Math.max(...sizes);
      const cache = new MetadataCache({ maxBytes, revalidateMs: 60_000 });
      const source = metadataSource(deps, cache);
      for (let round = 0; round < 3; round++) {
        for (const name of small) {
          const file = await cache.get(`fixture/${name}`, source);
          assert.ok(file !== null && file !== 'uncached');
          assert.deepEqual(file.bytes, files.get(name));
          assert.ok(cache.bytes <= maxBytes, `${cache.bytes} bytes held, bound ${maxBytes}`);
        }
      }
      const large = Object.entries(Object.fromEntries(files)).find(
        ([, bytes]) => bytes.length > maxBytes / 4,
      );
      assert.ok(large !== undefined, 'the fixture has a file larger than a quarter of the bound');
      assert.equal(await cache.get(`fixture/${large[0]}`, source), 'uncached');
      assert.ok(cache.bytes <= maxBytes);

      // Five 100-byte files in room for four: the least recently used goes.
      const tight = new MetadataCache({ maxBytes: 400, revalidateMs: 60_000 });
      const tightSource = metadataSource(deps, tight);
      for (let i = 0; i < 5; i++) {
        await republish(handle.store, `fixture/noarch/f${i}.json`, String(i).repeat(100));
        await tight.get(`fixture/noarch/f${i}.json`, tightSource);
      }
      assert.equal(tight.bytes, 400);
      assert.equal(tight.size, 4);
      await handle.store.delete('fixture/noarch/f0.json');
      await handle.store.delete('fixture/noarch/f4.json');
      assert.equal(await tight.get('fixture/noarch/f0.json', tightSource), null, 'f0 was evicted');
      const kept = await tight.get('fixture/noarch/f4.json', tightSource);
      assert.ok(kept !== null && kept !== 'uncached', 'f4 is still held');
    } finally {
      await handle.dispose();
    }
  });

  it('holds at most its bytes, no file over a per-file ceiling (maxEntryBytes, as the package cache)', async () => {
    const handle = await tempFsStore();
    try {
      const deps = storeDeps(handle.store);
      const cache = new MetadataCache({ maxBytes: 1_000, maxEntryBytes: 100, revalidateMs: 60_000 });
      const source = metadataSource(deps, cache);
      for (let i = 0; i < 15; i++) {
        const bytes = Buffer.alloc(100, i);
        await handle.store.put(`fixture/noarch/p${i}.conda`, bytes, { size: 100, sha256: sha256(bytes) });
        const file = await cache.get(`fixture/noarch/p${i}.conda`, source);
        assert.ok(file !== null && file !== 'uncached');
        assert.deepEqual(file.bytes, bytes);
        assert.ok(cache.bytes <= 1_000, `${cache.bytes} bytes held`);
      }
      assert.equal(cache.size, 10);
      const big = Buffer.alloc(101, 7);
      await handle.store.put('fixture/noarch/big.conda', big, { size: 101, sha256: sha256(big) });
      assert.equal(await cache.get('fixture/noarch/big.conda', source), 'uncached');
      assert.equal(cache.size, 10);
      // The ceiling never exceeds a quarter of the budget.
      assert.equal(
        new MetadataCache({ maxBytes: 400, maxEntryBytes: 1_000, revalidateMs: 1 }).maxEntryBytes,
        100,
      );
    } finally {
      await handle.dispose();
    }
  });

  it('answers through the API with a cache too small for the file (streamed instead)', async () => {
    const handle = await tempFsStore();
    const files = await writeFixtureChannel(handle.store, 'fixture');
    const t = await startTestApp({ store: handle.store, env: { CONDASYNC_METADATA_CACHE_BYTES: '64' } });
    try {
      for (let pass = 0; pass < 2; pass++) {
        const response = await t.app.inject({ method: 'GET', url: REPODATA });
        assert.equal(response.statusCode, 200);
        assert.deepEqual(response.rawPayload, files.get('linux-64/repodata.json'));
      }
    } finally {
      await t.close();
      await handle.dispose();
    }
  });
});

describe('packages redirected to presigned URLs', () => {
  let t: TestApp;
  let files: FixtureFiles;
  const savedEnv = { ...process.env };
  before(async () => {
    const { bucket, env } = await createBucketWithEnv('api-presign');
    const store = testS3Store(bucket);
    files = await writeFixtureChannel(store, 'fixture');
    await store.close();
    // The presigner finds credentials as the SDK does: in the process environment.
    process.env['AWS_ACCESS_KEY_ID'] = testS3Credentials.accessKeyId;
    process.env['AWS_SECRET_ACCESS_KEY'] = testS3Credentials.secretAccessKey;
    t = await startTestApp({
      env: { ...env, CONDASYNC_PACKAGE_DELIVERY: 'redirect', CONDASYNC_CHANNEL_TOKENS: CHANNEL_TOKEN },
    });
  });
  after(async () => {
    await t.close();
    process.env = savedEnv;
  });

  it('redirects a package GET to a URL that gives its bytes and ranges; tokens still enforced', async () => {
    const url = `/t/${CHANNEL_TOKEN}/conda/fixture/linux-64/${PACKAGE_CONDA}`;
    const expected = files.get(`linux-64/${PACKAGE_CONDA}`)!;
    const redirect = await t.app.inject({ method: 'GET', url });
    assert.equal(redirect.statusCode, 302);
    const location = String(redirect.headers.location);
    assert.ok(location.startsWith(testS3Endpoint()), location);
    assert.equal(redirect.headers['cache-control'], 'no-store');
    const whole = await fetch(location);
    assert.equal(whole.status, 200);
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), expected);
    const part = await fetch(location, { headers: { range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), expected.subarray(10, 20));

    const head = await t.app.inject({ method: 'HEAD', url });
    assert.equal(head.statusCode, 200);
    assert.equal(Number(head.headers['content-length']), expected.length);
    const denied = await t.app.inject({ method: 'GET', url: `/conda/fixture/linux-64/${PACKAGE_CONDA}` });
    assert.equal(denied.statusCode, 401);
    const wrong = await t.app.inject({ method: 'GET', url: url.replace(CHANNEL_TOKEN, `${CHANNEL_TOKEN}x`) });
    assert.equal(wrong.statusCode, 401);
  });
});
