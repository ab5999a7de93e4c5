import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  installersStep,
  parseInstallerIndex,
  resolveSyncConfig,
  silentLogger,
  UpstreamHttp,
} from '@condasync/mirror';
import type { ObjectStore } from '@condasync/storage';
import type { FastifyInstance } from 'fastify';
import { type FixtureUpstream, startFixtureUpstream } from '../../../../../test/support/fixture-upstream.ts';
import { buildChannelServer } from '../../../src/index.ts';
import {
  CHANNEL_TOKEN,
  createTestBucket,
  startTestApp,
  type TestApp,
  tempFsStore,
  testS3Store,
} from '../../support/test-app.ts';

const fixtures = join(import.meta.dirname, '../../../../../libs/mirror/test/fixtures/installers');
const LATEST = 'Miniconda3-latest-Linux-x86_64.sh';
const PINNED = 'Miniconda3-py312_24.9.2-0-Linux-x86_64.sh';

/** Mirrors the fixture installer folders into `store` with the installers step, as a sync would. */
async function mirrorInstallers(
  store: ObjectStore,
  upstream: FixtureUpstream,
  workDir: string,
): Promise<void> {
  const http = new UpstreamHttp({ headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 });
  try {
    const config = resolveSyncConfig({
      remote_url: upstream.url,
      fetch_installers: true,
      dir_names: ['archive', 'miniconda'],
    });
    const report = await installersStep(
      { config, store, channelPrefix: '', http, workDir, logger: silentLogger },
      { dryRun: false },
    );
    assert.equal(
      report?.dirs.reduce((n, d) => n + d.downloaded, 0),
      4,
    );
  } finally {
    await http.close();
  }
}

function downloadsSuite(
  backend: string,
  openStore: () => Promise<{ store: ObjectStore; dispose(): Promise<void> }>,
) {
  describe(`/downloads/ from ${backend}`, () => {
    let handle: { store: ObjectStore; dispose(): Promise<void> };
    let upstream: FixtureUpstream;
    let t: TestApp;
    const get = (url: string, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'GET', url, headers });

    before(async () => {
      handle = await openStore();
      upstream = await startFixtureUpstream({ root: fixtures });
      await mirrorInstallers(handle.store, upstream, join(tmpdir(), 'condasync-downloads-test-work'));
      t = await startTestApp({ store: handle.store, env: { CONDASYNC_REPODATA_MAX_AGE: '120' } });
    });
    after(async () => {
      await t.close();
      await upstream.close();
      await handle.dispose();
    });

    it('serves a mirrored installer whole, with validators and a cache policy, and HEAD without a body', async () => {
      const bytes = await readFile(join(fixtures, 'miniconda', PINNED));
      const response = await get(`/downloads/miniconda/${PINNED}`);
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.rawPayload, bytes);
      assert.equal(response.headers['content-type'], 'application/octet-stream');
      assert.equal(response.headers['content-length'], String(bytes.length));
      assert.equal(response.headers['accept-ranges'], 'bytes');
      assert.equal(response.headers['cache-control'], 'public, max-age=86400');
      assert.match(response.headers.etag as string, /^"[^"]+"$/);
      const latest = await get(`/downloads/miniconda/${LATEST}`);
      assert.equal(
        latest.headers['cache-control'],
        'public, max-age=120',
        'upstream replaces -latest- in place',
      );

      const head = await t.app.inject({ method: 'HEAD', url: `/downloads/miniconda/${PINNED}` });
      assert.equal(head.statusCode, 200);
      assert.equal(head.body, '');
      assert.equal(head.headers['content-length'], String(bytes.length));
      const cached = await get(`/downloads/miniconda/${PINNED}`, {
        'if-none-match': response.headers.etag as string,
      });
      assert.equal(cached.statusCode, 304);
    });

    it('answers byte ranges (resumed downloads of big installers) with 206 and 416', async () => {
      const bytes = await readFile(join(fixtures, 'archive', 'Anaconda3-2024.10-1-Linux-x86_64.sh'));
      const url = '/downloads/archive/Anaconda3-2024.10-1-Linux-x86_64.sh';
      const part = await get(url, { range: 'bytes=100-199' });
      assert.equal(part.statusCode, 206);
      assert.deepEqual(part.rawPayload, bytes.subarray(100, 200));
      assert.equal(part.headers['content-range'], `bytes 100-199/${bytes.length}`);
      const tail = await get(url, { range: 'bytes=-10' });
      assert.equal(tail.statusCode, 206);
      assert.deepEqual(tail.rawPayload, bytes.subarray(bytes.length - 10));
      const beyond = await get(url, { range: `bytes=${bytes.length + 5}-` });
      assert.equal(beyond.statusCode, 416);
    });

    it('lists a folder like upstream’s page: file, size, date and sha256, which the same parser reads back', async () => {
      const response = await get('/downloads/miniconda/');
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(String(response.headers['content-security-policy']), /default-src 'none'/);
      const index = parseInstallerIndex(response.body);
      const expected = await Promise.all(
        [LATEST, PINNED].map(async (file) => {
          const bytes = await readFile(join(fixtures, 'miniconda', file));
          return [file, createHash('sha256').update(bytes).digest('hex')];
        }),
      );
      assert.deepEqual(
        index.entries.map((e) => [e.filename, e.sha256]),
        expected,
      );
      assert.match(response.body, /<td>2024-11-05 09:12:44<\/td>/);
      assert.match(response.body, /title="2250 bytes">2\.2K</);
      const again = await get('/downloads/miniconda', { 'if-none-match': response.headers.etag as string });
      assert.equal(again.statusCode, 304);
      const archive = parseInstallerIndex((await get('/downloads/archive/')).body);
      assert.equal(
        archive.entries.length,
        2,
        'the row upstream gave no sha256 for is not mirrored, so not listed',
      );
    });

    it('404s for what is not a mirrored installer, internal keys and traversal included', async () => {
      for (const url of [
        '/downloads/miniconda/absent.sh',
        '/downloads/nowhere/',
        '/downloads/miniconda/..%2F..%2F.condasync%2Finstallers%2Fminiconda%2Flisting.json',
        '/downloads/.condasync/listing.json',
        '/downloads/%2E%2E/x',
      ]) {
        const response = await get(url);
        assert.equal(response.statusCode, 404, url);
      }
    });
  });
}

downloadsSuite('the filesystem', tempFsStore);
downloadsSuite('S3', async () => {
  const bucket = await createTestBucket();
  const store = testS3Store(bucket);
  return { store, dispose: () => store.close() };
});

describe('/downloads/ with channel tokens', () => {
  let t: TestApp;
  let handle: Awaited<ReturnType<typeof tempFsStore>>;
  before(async () => {
    handle = await tempFsStore();
    t = await startTestApp({ store: handle.store, env: { CONDASYNC_CHANNEL_TOKENS: CHANNEL_TOKEN } });
  });
  after(async () => {
    await t.close();
    await handle.dispose();
  });

  it('needs a channel token, like the channels', async () => {
    const response = await t.app.inject({ method: 'GET', url: `/downloads/miniconda/${PINNED}` });
    assert.equal(response.statusCode, 401);
    const withToken = await t.app.inject({
      method: 'GET',
      url: `/downloads/miniconda/${PINNED}`,
      headers: { authorization: `Bearer ${CHANNEL_TOKEN}` },
    });
    assert.equal(withToken.statusCode, 404, 'past the token check: nothing mirrored in this store');
  });
});

describe('condasync serve: /downloads/ of the mirror folder', () => {
  let app: FastifyInstance;
  let handle: Awaited<ReturnType<typeof tempFsStore>>;
  let upstream: FixtureUpstream;
  before(async () => {
    handle = await tempFsStore();
    upstream = await startFixtureUpstream({ root: fixtures });
    await mirrorInstallers(handle.store, upstream, join(handle.root, '.work'));
    app = buildChannelServer({ channels: new Map([['mirror', handle.root]]), logger: false });
    await app.ready();
  });
  after(async () => {
    await app.close();
    await upstream.close();
    await handle.dispose();
  });

  it('serves the installers and the listing with the API’s behaviour', async () => {
    const bytes = await readFile(join(fixtures, 'miniconda', PINNED));
    const part = await app.inject({
      method: 'GET',
      url: `/downloads/miniconda/${PINNED}`,
      headers: { range: 'bytes=0-9' },
    });
    assert.equal(part.statusCode, 206);
    assert.deepEqual(part.rawPayload, bytes.subarray(0, 10));
    const listing = await app.inject({ method: 'GET', url: '/downloads/miniconda/' });
    assert.equal(listing.statusCode, 200);
    assert.deepEqual(
      parseInstallerIndex(listing.body).entries.map((e) => e.filename),
      [LATEST, PINNED],
    );
  });
});
