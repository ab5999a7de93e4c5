import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { S3ObjectStore } from '@condasync/storage';
import { PACKAGE_CONDA, writeFixtureChannel } from '../../support/fixture-channel.ts';
import { stallableS3Store } from '../../support/stalling-proxy.ts';
import { startTestApp, type TestApp, tempFsStore } from '../../support/test-app.ts';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('channel serving under hostile requests', () => {
  let store: Awaited<ReturnType<typeof tempFsStore>>;
  let t: TestApp;
  let packageSize: number;
  before(async () => {
    store = await tempFsStore();
    const files = await writeFixtureChannel(store.store, 'fixture');
    packageSize = files.get(`linux-64/${PACKAGE_CONDA}`)!.length;
    t = await startTestApp({ store: store.store });
  });
  after(async () => {
    await t.close();
    await store.dispose();
  });

  it('answers 416 (never 500) to a range start beyond 2^53', async () => {
    const url = `/conda/fixture/linux-64/${PACKAGE_CONDA}`;
    for (const range of [
      'bytes=9007199254740993-',
      'bytes=10000000000000000000000-',
      `bytes=${'9'.repeat(400)}-`,
    ]) {
      const response = await t.app.inject({ method: 'GET', url, headers: { range } });
      assert.equal(response.statusCode, 416, range);
      assert.equal(response.headers['content-range'], `bytes */${packageSize}`, range);
    }
  });

  it('serves 128-character channel names and 255-character filenames (no 414)', async () => {
    const channel = `c${'h'.repeat(127)}`;
    const name = `vendored-tool-${'1'.repeat(255 - 'vendored-tool--h0_0.conda'.length)}-h0_0.conda`;
    assert.equal(name.length, 255);
    const bytes = Buffer.from('not really a package, but bytes all the same');
    await store.store.put(`${channel}/noarch/${name}`, bytes, { size: bytes.length, sha256: sha256(bytes) });
    for (const url of [
      `/conda/${channel}/noarch/${name}`,
      `/conda/${channel}/noarch/${encodeURIComponent(name).replaceAll('-', '%2D')}`,
    ]) {
      const response = await t.app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200, url.slice(0, 60));
      assert.deepEqual(response.rawPayload, bytes);
    }
    // Beyond what any channel file can be called: still refused (by the route's schema), never served.
    const tooLong = await t.app.inject({ method: 'GET', url: `/conda/${channel}/noarch/${'a'.repeat(300)}` });
    assert.equal(tooLong.statusCode, 400);
  });
});

describe('channel serving while the object store is paused', () => {
  let proxy: Awaited<ReturnType<typeof stallableS3Store>>['proxy'];
  let store: S3ObjectStore;
  let t: TestApp;
  const deadlineMs = 400;
  before(async () => {
    ({ proxy, store } = await stallableS3Store());
    await writeFixtureChannel(store, 'fixture');
    // Packages uncached, so that a package request reaches the paused store (the caches answer
    // from memory while the store is away: metadata-cache.test.ts, package-cache.test.ts).
    t = await startTestApp({
      store,
      storageReadDeadlineMs: deadlineMs,
      env: { CONDASYNC_PACKAGE_CACHE_BYTES: '0' },
    });
  });
  after(async () => {
    await t.close();
    await store.close();
    await proxy.close();
  });

  // Without a deadline the request hangs: fail in 30 s, not at the runner's 5 minutes.
  it('answers 503 with a clear body within the deadline, logs it, and serves again once resumed', {
    timeout: 30_000,
  }, async () => {
    const url = `/conda/fixture/linux-64/${PACKAGE_CONDA}`;
    assert.equal((await t.app.inject({ method: 'GET', url })).statusCode, 200);
    proxy.stall();
    try {
      for (const request of [
        { method: 'GET' as const, url },
        { method: 'HEAD' as const, url },
        { method: 'GET' as const, url, headers: { 'if-none-match': '"old"' } },
      ]) {
        const started = Date.now();
        const response = await t.app.inject(request);
        const elapsed = Date.now() - started;
        assert.equal(response.statusCode, 503, request.method);
        assert.ok(elapsed < deadlineMs + 2_000, `answered after ${elapsed} ms`);
        assert.equal(response.headers['retry-after'], '5');
        if (request.method === 'GET') {
          const body = response.json() as { error: { code: string; message: string } };
          assert.equal(body.error.code, 'NOT_READY');
          assert.match(body.error.message, /object store did not answer a (GET|HEAD) within 0\.4 s/);
        }
      }
      assert.ok(
        t.logs.records().some((line) => line['level'] === 50 && /request failed/.test(String(line['msg']))),
        'the timeout is logged as an error',
      );
    } finally {
      proxy.resume();
    }
    assert.equal((await t.app.inject({ method: 'GET', url })).statusCode, 200);
  });
});
