import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3ObjectStore } from '@condasync/storage';
import {
  type FixtureFiles,
  PACKAGE_CONDA,
  PACKAGE_TAR_BZ2,
  writeFixtureChannel,
} from '../../support/fixture-channel.ts';
import { stallableS3Store } from '../../support/stalling-proxy.ts';
import { CHANNEL_TOKEN, startTestApp, type TestApp, tempFsStore } from '../../support/test-app.ts';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const tokenUrl = (name: string): string => `/t/${CHANNEL_TOKEN}/conda/fixture/linux-64/${name}`;

/** Package GETs (200, 206, 304, HEAD) while the store does not answer: from memory or a 503. */
async function packageAnswers(t: TestApp, name: string, expected: Buffer, etag: string): Promise<number[]> {
  const url = tokenUrl(name);
  const whole = await t.app.inject({ method: 'GET', url });
  if (whole.statusCode === 200) assert.deepEqual(whole.rawPayload, expected);
  const range = await t.app.inject({ method: 'GET', url, headers: { range: 'bytes=10-19' } });
  if (range.statusCode === 206) {
    assert.deepEqual(range.rawPayload, expected.subarray(10, 20));
    assert.equal(range.headers['content-range'], `bytes 10-19/${expected.length}`);
  }
  const notModified = await t.app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
  const head = await t.app.inject({ method: 'HEAD', url });
  if (head.statusCode === 200) assert.equal(Number(head.headers['content-length']), expected.length);
  return [whole.statusCode, range.statusCode, notModified.statusCode, head.statusCode];
}

describe('cached packages while the object store is paused', () => {
  let proxy: Awaited<ReturnType<typeof stallableS3Store>>['proxy'];
  let store: S3ObjectStore;
  let files: FixtureFiles;
  let cachedApp: TestApp;
  let uncachedApp: TestApp;
  let small: string;
  let large: string;
  before(async () => {
    ({ proxy, store } = await stallableS3Store());
    files = await writeFixtureChannel(store, 'fixture');
    const conda = files.get(`linux-64/${PACKAGE_CONDA}`)!;
    const bz2 = files.get(`linux-64/${PACKAGE_TAR_BZ2}`)!;
    [small, large] =
      conda.length < bz2.length ? [PACKAGE_CONDA, PACKAGE_TAR_BZ2] : [PACKAGE_TAR_BZ2, PACKAGE_CONDA];
    const ceiling = Math.min(conda.length, bz2.length);
    const common = { CONDASYNC_CHANNEL_TOKENS: CHANNEL_TOKEN, CONDASYNC_METADATA_REVALIDATE_SECONDS: '60' };
    // The smaller package fits under the per-file ceiling, the larger does not (it is streamed).
    cachedApp = await startTestApp({
      store,
      storageReadDeadlineMs: 2_000,
      env: { ...common, CONDASYNC_PACKAGE_CACHE_MAX_FILE_BYTES: String(ceiling) },
    });
    uncachedApp = await startTestApp({
      store,
      storageReadDeadlineMs: 2_000,
      env: { ...common, CONDASYNC_PACKAGE_CACHE_BYTES: '0' },
    });
  });
  after(async () => {
    await cachedApp.close();
    await uncachedApp.close();
    await store.close();
    await proxy.close();
  });

  it('answers a warm package (200, 206, 304, HEAD) from memory; a package over the ceiling, or with the cache off, waits for the store', {
    timeout: 60_000,
  }, async () => {
    const etags = new Map<string, string>();
    for (const t of [cachedApp, uncachedApp]) {
      for (const name of [small, large]) {
        const warm = await t.app.inject({ method: 'GET', url: tokenUrl(name) });
        assert.equal(warm.statusCode, 200);
        assert.deepEqual(warm.rawPayload, files.get(`linux-64/${name}`));
        etags.set(name, String(warm.headers.etag));
      }
    }
    // Tokens are still enforced for a cached package.
    const anonymous = await cachedApp.app.inject({ method: 'GET', url: `/conda/fixture/linux-64/${small}` });
    assert.equal(anonymous.statusCode, 401);
    proxy.stall();
    try {
      const expected = (name: string): Buffer => files.get(`linux-64/${name}`)!;
      assert.deepEqual(
        await packageAnswers(cachedApp, small, expected(small), etags.get(small)!),
        [200, 206, 304, 200],
      );
      assert.deepEqual(
        await packageAnswers(cachedApp, large, expected(large), etags.get(large)!),
        [503, 503, 503, 503],
      );
      assert.deepEqual(
        await packageAnswers(uncachedApp, small, expected(small), etags.get(small)!),
        [503, 503, 503, 503],
      );
      const stillLocked = await cachedApp.app.inject({
        method: 'GET',
        url: `/conda/fixture/linux-64/${small}`,
      });
      assert.equal(stillLocked.statusCode, 401);
    } finally {
      proxy.resume();
    }
    // Once the store answers, the large package is streamed whole.
    const streamed = await cachedApp.app.inject({ method: 'GET', url: tokenUrl(large) });
    assert.equal(streamed.statusCode, 200);
    assert.deepEqual(streamed.rawPayload, files.get(`linux-64/${large}`));
  });
});

describe('a replaced package', () => {
  it('serves a package replaced in the store (same name, new bytes) within the revalidation interval', {
    timeout: 30_000,
  }, async () => {
    const handle = await tempFsStore();
    await writeFixtureChannel(handle.store, 'fixture');
    const t = await startTestApp({
      store: handle.store,
      env: { CONDASYNC_METADATA_REVALIDATE_SECONDS: '1' },
    });
    try {
      const url = `/conda/fixture/linux-64/${PACKAGE_CONDA}`;
      const first = await t.app.inject({ method: 'GET', url });
      assert.equal(first.statusCode, 200);
      const replacement = Buffer.from('replaced package bytes');
      await handle.store.put(`fixture/linux-64/${PACKAGE_CONDA}`, replacement, {
        size: replacement.length,
        sha256: sha256(replacement),
      });
      const started = Date.now();
      for (;;) {
        const response = await t.app.inject({ method: 'GET', url });
        if (response.rawPayload.equals(replacement)) break;
        assert.deepEqual(response.rawPayload, first.rawPayload, 'the old bytes or the new, nothing else');
        assert.ok(Date.now() - started < 3_000, 'still the old bytes after 3 s');
        await sleep(50);
      }
    } finally {
      await t.close();
      await handle.dispose();
    }
  });
});
