import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { ObjectStore } from '@condasync/storage';
import {
  type FixtureFiles,
  INTERNAL_KEY,
  PACKAGE_CONDA,
  PACKAGE_TAR_BZ2,
  SHARD_LIBGCC,
  SHARD_ZLIB,
  writeFixtureChannel,
} from '../../support/fixture-channel.ts';
import {
  CHANNEL_TOKEN,
  createTestBucket,
  startTestApp,
  type TestApp,
  tempFsStore,
  testS3Store,
} from '../../support/test-app.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const SHORT = 'public, max-age=120';

interface StoreHandle {
  store: ObjectStore;
  dispose(): Promise<void>;
}

function channelServingSuite(backend: string, openStore: () => Promise<StoreHandle>): void {
  describe(`channel serving from ${backend}`, () => {
    let handle: StoreHandle;
    let files: FixtureFiles;
    let t: TestApp;
    const file = (relPath: string): Buffer => files.get(relPath)!;
    const get = (url: string, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'GET', url, headers });

    before(async () => {
      handle = await openStore();
      files = await writeFixtureChannel(handle.store, 'fixture');
      t = await startTestApp({ store: handle.store, env: { CONDASYNC_REPODATA_MAX_AGE: '120' } });
    });
    after(async () => {
      await t.close();
      await handle.dispose();
    });

    it('serves repodata.json with its validators, short caching and no encoding unless asked', async () => {
      const response = await get('/conda/fixture/linux-64/repodata.json');
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.rawPayload, file('linux-64/repodata.json'));
      assert.match(response.headers.etag as string, /^"[^"]+"$/);
      assert.equal(response.headers['content-type'], 'application/json');
      assert.equal(response.headers['content-length'], String(file('linux-64/repodata.json').length));
      assert.equal(response.headers['cache-control'], SHORT);
      assert.equal(response.headers['accept-ranges'], 'bytes');
      assert.equal(response.headers.vary, 'Accept-Encoding');
      assert.equal(response.headers['content-encoding'], undefined);
      const lastModified = Date.parse(response.headers['last-modified'] as string);
      assert.ok(Math.abs(Date.now() - lastModified) < 10 * 60_000, 'Last-Modified is the upload time');
    });

    it('answers 304 to a matching If-None-Match (strong, weak, in a list) and If-Modified-Since', async () => {
      const first = await get('/conda/fixture/linux-64/repodata.json');
      const etag = first.headers.etag as string;
      const lastModified = first.headers['last-modified'] as string;
      for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const response = await get('/conda/fixture/linux-64/repodata.json', { 'if-none-match': ifNoneMatch });
        assert.equal(response.statusCode, 304, ifNoneMatch);
        assert.equal(response.body, '');
        assert.equal(response.headers.etag, etag);
        assert.equal(response.headers['cache-control'], SHORT);
        assert.equal(response.headers['last-modified'], lastModified);
      }
      const changed = await get('/conda/fixture/linux-64/repodata.json', { 'if-none-match': '"stale"' });
      assert.equal(changed.statusCode, 200);
      assert.deepEqual(changed.rawPayload, file('linux-64/repodata.json'));
      const unchanged = await get('/conda/fixture/linux-64/repodata.json', {
        'if-modified-since': lastModified,
      });
      assert.equal(unchanged.statusCode, 304);
      const older = new Date(Date.parse(lastModified) - 3600_000).toUTCString();
      assert.equal(
        (await get('/conda/fixture/linux-64/repodata.json', { 'if-modified-since': older })).statusCode,
        200,
      );
      // If-None-Match wins over If-Modified-Since (RFC 9110 §13.1.3).
      const both = await get('/conda/fixture/linux-64/repodata.json', {
        'if-none-match': '"stale"',
        'if-modified-since': lastModified,
      });
      assert.equal(both.statusCode, 200);
    });

    it('answers HEAD with 200 and the GET headers, without a body; 404 when absent', async () => {
      const getResponse = await get(`/conda/fixture/linux-64/${PACKAGE_CONDA}`);
      const head = await t.app.inject({ method: 'HEAD', url: `/conda/fixture/linux-64/${PACKAGE_CONDA}` });
      assert.equal(head.statusCode, 200);
      assert.equal(head.body, '');
      assert.equal(head.headers['content-length'], String(file(`linux-64/${PACKAGE_CONDA}`).length));
      for (const name of ['etag', 'last-modified', 'cache-control', 'content-type', 'accept-ranges']) {
        assert.equal(head.headers[name], getResponse.headers[name], name);
      }
      const zst = await t.app.inject({ method: 'HEAD', url: '/conda/fixture/linux-64/repodata.json.zst' });
      assert.equal(zst.statusCode, 200);
      const missing = await t.app.inject({ method: 'HEAD', url: '/conda/fixture/noarch/repodata.json.zst' });
      assert.equal(missing.statusCode, 404);
    });

    it('serves repodata.json.bz2 (rattler HEADs it on a cold cache) with its own ETag, never encoded', async () => {
      const url = '/conda/fixture/osx-64/repodata.json.bz2';
      const bz2 = await get(url, { 'accept-encoding': 'gzip' });
      assert.equal(bz2.statusCode, 200);
      assert.deepEqual(bz2.rawPayload, file('osx-64/repodata.json.bz2'));
      assert.equal(bz2.headers['content-type'], 'application/x-bzip2');
      assert.equal(bz2.headers['content-encoding'], undefined);
      assert.equal(bz2.headers['content-length'], String(file('osx-64/repodata.json.bz2').length));
      assert.equal(bz2.headers['cache-control'], SHORT);
      const etag = bz2.headers.etag as string;
      assert.match(etag, /^"[^"]+"$/);
      const json = await get('/conda/fixture/osx-64/repodata.json');
      assert.notEqual(etag, json.headers.etag, 'the twin has an ETag of its own');
      const head = await t.app.inject({ method: 'HEAD', url, headers: { 'accept-encoding': 'gzip' } });
      assert.equal(head.statusCode, 200);
      assert.equal(head.headers.etag, etag);
      assert.equal(head.headers['content-encoding'], undefined);
      const revalidated = await get(url, { 'if-none-match': etag, 'accept-encoding': 'gzip' });
      assert.equal(revalidated.statusCode, 304);
      assert.equal(revalidated.headers.etag, etag);
      // A subdir published without it (repodata_bz2 off) answers 404, which rattler takes as "unavailable".
      const absent = await t.app.inject({ method: 'HEAD', url: '/conda/fixture/linux-64/repodata.json.bz2' });
      assert.equal(absent.statusCode, 404);
    });

    it('serves byte ranges with 206 and Content-Range, and 416 beyond the end', async () => {
      const bytes = file(`linux-64/${PACKAGE_CONDA}`);
      const url = `/conda/fixture/linux-64/${PACKAGE_CONDA}`;
      const first = await get(url, { range: 'bytes=0-99' });
      assert.equal(first.statusCode, 206);
      assert.equal(first.headers['content-range'], `bytes 0-99/${bytes.length}`);
      assert.equal(first.headers['content-length'], '100');
      assert.deepEqual(first.rawPayload, bytes.subarray(0, 100));
      const rest = await get(url, { range: `bytes=${bytes.length - 10}-` });
      assert.equal(rest.statusCode, 206);
      assert.deepEqual(rest.rawPayload, bytes.subarray(bytes.length - 10));
      const suffix = await get(url, { range: 'bytes=-25' });
      assert.equal(suffix.statusCode, 206);
      assert.equal(
        suffix.headers['content-range'],
        `bytes ${bytes.length - 25}-${bytes.length - 1}/${bytes.length}`,
      );
      assert.deepEqual(suffix.rawPayload, bytes.subarray(bytes.length - 25));
      const clamped = await get(url, { range: `bytes=10-${bytes.length + 500}` });
      assert.equal(clamped.headers['content-range'], `bytes 10-${bytes.length - 1}/${bytes.length}`);
      for (const range of [
        `bytes=${bytes.length}-`,
        `bytes=${bytes.length + 1000}-${bytes.length + 2000}`,
        'bytes=-0',
      ]) {
        const refused = await get(url, { range });
        assert.equal(refused.statusCode, 416, range);
        assert.equal(refused.headers['content-range'], `bytes */${bytes.length}`);
      }
      // A range on an older copy (If-Range with another ETag) gets the whole current file.
      const stale = await get(url, { range: 'bytes=0-9', 'if-range': '"old"' });
      assert.equal(stale.statusCode, 200);
      assert.equal(stale.rawPayload.length, bytes.length);
      const current = await get(url, { range: 'bytes=0-9', 'if-range': first.headers.etag as string });
      assert.equal(current.statusCode, 206);
      // Malformed or multiple ranges are ignored (RFC 9110 allows it): the whole file.
      assert.equal((await get(url, { range: 'bytes=0-1,5-6' })).statusCode, 200);
      assert.equal((await get(url, { range: 'items=0-1' })).statusCode, 200);
    });

    it('gzips .json only when the client asks, with its own ETag; never .zst, .bz2, shards or packages', async () => {
      const json = await get('/conda/fixture/linux-64/repodata.json', { 'accept-encoding': 'gzip, deflate' });
      assert.equal(json.statusCode, 200);
      assert.equal(json.headers['content-encoding'], 'gzip');
      // Compressed once and held beside the cached file, so its length is known.
      assert.equal(json.headers['content-length'], String(json.rawPayload.length));
      assert.equal(json.headers.vary, 'Accept-Encoding');
      assert.deepEqual(gunzipSync(json.rawPayload), file('linux-64/repodata.json'));
      const plain = await get('/conda/fixture/linux-64/repodata.json');
      assert.notEqual(json.headers.etag, plain.headers.etag);
      assert.match(json.headers.etag as string, /^W\/".*-gzip"$/);
      const revalidated = await get('/conda/fixture/linux-64/repodata.json', {
        'accept-encoding': 'gzip',
        'if-none-match': json.headers.etag as string,
      });
      assert.equal(revalidated.statusCode, 304);
      assert.equal(revalidated.headers.etag, json.headers.etag);
      const refused = await get('/conda/fixture/linux-64/repodata.json', {
        'accept-encoding': 'gzip;q=0, br',
      });
      assert.equal(refused.headers['content-encoding'], undefined);
      for (const relPath of [
        'linux-64/repodata.json.zst',
        'osx-64/repodata.json.bz2',
        'linux-64/repodata_shards.msgpack.zst',
        `linux-64/${SHARD_ZLIB}`,
        `linux-64/${PACKAGE_CONDA}`,
        `linux-64/${PACKAGE_TAR_BZ2}`,
      ]) {
        const response = await get(`/conda/fixture/${relPath}`, { 'accept-encoding': 'gzip' });
        assert.equal(response.statusCode, 200, relPath);
        assert.equal(response.headers['content-encoding'], undefined, relPath);
        assert.equal(response.headers['content-length'], String(file(relPath).length), relPath);
        assert.deepEqual(response.rawPayload, file(relPath), relPath);
      }
    });

    it('sets Cache-Control and Content-Type by kind of file', async () => {
      const expectations: Array<[string, string, string]> = [
        ['linux-64/repodata.json.zst', SHORT, 'application/zstd'],
        ['osx-64/repodata.json.bz2', SHORT, 'application/x-bzip2'],
        ['linux-64/repodata_shards.msgpack.zst', SHORT, 'application/zstd'],
        ['channeldata.json', SHORT, 'application/json'],
        [`linux-64/${PACKAGE_CONDA}`, IMMUTABLE, 'application/octet-stream'],
        [`linux-64/${PACKAGE_TAR_BZ2}`, IMMUTABLE, 'application/x-tar'],
        [`linux-64/${SHARD_ZLIB}`, IMMUTABLE, 'application/zstd'],
        [`linux-64/${SHARD_LIBGCC}`, IMMUTABLE, 'application/zstd'],
        [`linux-64/shards/${SHARD_ZLIB}`, IMMUTABLE, 'application/zstd'],
      ];
      for (const [relPath, cacheControl, contentType] of expectations) {
        const response = await get(`/conda/fixture/${relPath}`);
        assert.equal(response.statusCode, 200, relPath);
        assert.equal(response.headers['cache-control'], cacheControl, relPath);
        assert.equal(response.headers['content-type'], contentType, relPath);
        assert.deepEqual(response.rawPayload, file(relPath), relPath);
      }
    });

    it('answers 404 (never 401, 403 or 500) for optional files that do not exist', async () => {
      for (const url of [
        '/conda/fixture/noarch/repodata.json.zst',
        '/conda/fixture/noarch/repodata_shards.msgpack.zst',
        '/conda/fixture/linux-64/repodata.jlap',
        '/conda/fixture/linux-64/repodata.json.bz2',
        '/conda/fixture/notices.json',
        '/conda/fixture/osx-arm64/repodata.json',
        '/conda/no-such-channel/noarch/repodata.json',
        `/conda/fixture/linux-64/shards/${'0'.repeat(64)}.msgpack.zst`,
      ]) {
        for (const method of ['GET', 'HEAD'] as const) {
          const response = await t.app.inject({ method, url });
          assert.equal(response.statusCode, 404, `${method} ${url}`);
          if (method === 'GET') assert.equal(response.json().error.code, 'NOT_FOUND');
        }
      }
    });

    it('never serves internal keys, traversal attempts or odd names', async () => {
      assert.notEqual(await handle.store.head(INTERNAL_KEY), null, 'the internal object exists');
      for (const url of [
        '/conda/.condasync/state/secret.json',
        '/conda/fixture/../.condasync/state/secret.json',
        '/conda/..%2F.condasync/state/secret.json',
        '/conda/fixture/linux-64/..%2F..%2F.condasync%2Fstate%2Fsecret.json',
        '/conda/fixture/%2e%2e/%2e%2e/.condasync',
        '/conda/%2e%2e/linux-64/repodata.json',
        '/conda/fixture/linux-64/shards/repodata.json',
        '/conda/fixture/linux-64/.hidden',
        '/conda/fixture/linux-64/a%00b.conda',
        '/conda/fixture/linux-64/',
        '/conda/fixture',
      ]) {
        const response = await get(url);
        assert.equal(response.statusCode, 404, url);
        assert.ok(!response.body.includes('internal-state'), url);
      }
    });

    it('serves both token URL forms when no channel token is configured', async () => {
      for (const url of [
        '/t/any-token-1/conda/fixture/linux-64/repodata.json',
        '/conda/t/any-token-1/fixture/linux-64/repodata.json',
      ]) {
        const response = await get(url);
        assert.equal(response.statusCode, 200, url);
        assert.deepEqual(response.rawPayload, file('linux-64/repodata.json'));
      }
    });
  });
}

channelServingSuite('a filesystem store', tempFsStore);
channelServingSuite('an S3 store (moto)', async () => {
  const store = testS3Store(await createTestBucket());
  return { store, dispose: () => store.close() };
});

describe('channel tokens (CONDASYNC_CHANNEL_TOKENS)', () => {
  let handle: StoreHandle;
  let t: TestApp;
  const wrongToken = 'wrong-token-abcdef0123456789';
  before(async () => {
    handle = await tempFsStore();
    await writeFixtureChannel(handle.store, 'private');
    t = await startTestApp({
      store: handle.store,
      env: { CONDASYNC_CHANNEL_TOKENS: `other-token-00000000001,${CHANNEL_TOKEN}` },
      // Channel requests get their own log lines at debug only (they would cost more than the answer).
      logLevel: 'debug',
    });
  });
  after(async () => {
    await t.close();
    await handle.dispose();
  });

  it('answers 401 without a token or with a wrong one, in every URL form', async () => {
    for (const url of [
      '/conda/private/noarch/repodata.json',
      `/t/${wrongToken}/conda/private/noarch/repodata.json`,
      `/conda/t/${wrongToken}/private/noarch/repodata.json`,
      // A missing file answers 401 too: existence is not revealed without a token.
      `/t/${wrongToken}/conda/private/noarch/repodata.json.zst`,
    ]) {
      const response = await t.app.inject({ url });
      assert.equal(response.statusCode, 401, url);
      assert.equal(response.json().error.code, 'UNAUTHORIZED');
      assert.match(response.headers['www-authenticate'] as string, /^Bearer/);
    }
    const wrongBearer = await t.app.inject({
      url: '/conda/private/noarch/repodata.json',
      headers: { authorization: `Bearer ${wrongToken}` },
    });
    assert.equal(wrongBearer.statusCode, 401);
  });

  it('serves with the token in either URL form or as a bearer token, and 404 for absent files', async () => {
    for (const [url, headers] of [
      [`/t/${CHANNEL_TOKEN}/conda/private/noarch/repodata.json`, {}],
      [`/conda/t/${CHANNEL_TOKEN}/private/noarch/repodata.json`, {}],
      ['/conda/private/noarch/repodata.json', { authorization: `Bearer ${CHANNEL_TOKEN}` }],
    ] as const) {
      const response = await t.app.inject({ url, headers });
      assert.equal(response.statusCode, 200, url);
    }
    const absent = await t.app.inject({ url: `/t/${CHANNEL_TOKEN}/conda/private/noarch/repodata.json.zst` });
    assert.equal(absent.statusCode, 404);
  });

  it('keeps tokens out of the log', async () => {
    await t.app.inject({ url: `/t/${CHANNEL_TOKEN}/conda/private/linux-64/repodata.json?x=1` });
    await t.app.inject({ url: `/conda/t/${wrongToken}/private/linux-64/repodata.json` });
    await t.app.inject({ url: `/t/${wrongToken}/v1/syncs?token=${wrongToken}` });
    const urls = t.logs
      .records()
      .map((record) => (record['req'] as { url?: string } | undefined)?.url)
      .filter((url) => url !== undefined);
    assert.ok(
      urls.includes('/conda/private/linux-64/repodata.json?x=1'),
      'the request was logged, token-free',
    );
    assert.ok(urls.length >= 3, 'every request was logged');
    assert.ok(!t.logs.text.includes(CHANNEL_TOKEN), 'the valid token is not in the log');
    assert.ok(!t.logs.text.includes(wrongToken), 'the wrong token is not in the log');
  });

  it('keeps tokens in unsupported places out of the log too', async () => {
    const secret = 'unsupported-place-token-0123';
    for (const url of [
      `/conda/private/linux-64/repodata.json?access_token=${secret}`,
      `/conda/private/linux-64/repodata.json?x=1&api_key=${secret}`,
      `/T/${secret}/conda/private/linux-64/repodata.json`,
      `/conda/T/${secret}/private/linux-64/repodata.json`,
      `/v1/syncs?password=${secret}`,
    ]) {
      await t.app.inject({ url });
    }
    const urls = t.logs
      .records()
      .map((record) => (record['req'] as { url?: string } | undefined)?.url)
      .filter((url) => url !== undefined);
    assert.ok(urls.includes('/conda/private/linux-64/repodata.json?access_token=<redacted>'), urls.join(' '));
    assert.ok(urls.includes('/T/<redacted>/conda/private/linux-64/repodata.json'));
    assert.ok(!t.logs.text.includes(secret), 'no token in any log line');
  });
});
