import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeBrowseIndex } from '@condasync/mirror';
import { writeFixtureChannel } from '../../support/fixture-channel.ts';
import { CHANNEL_TOKEN, startTestApp, type TestApp, tempFsStore } from '../../support/test-app.ts';

type StoreHandle = Awaited<ReturnType<typeof tempFsStore>>;
const HTML = { accept: 'text/html,application/xhtml+xml' };
const HOSTILE = '<script>alert(1)</script>" onmouseover="x';

/** A browse index as finalize writes it, for records that need not exist as files. */
async function publishBrowse(
  store: StoreHandle['store'],
  channel: string,
  subdir: string,
  records: object[],
) {
  await writeBrowseIndex(
    {
      channelPrefix: `${channel}/`,
      subdir,
      repodataSha256: 'a'.repeat(64),
      entries: records.map((record) => {
        const r = record as { name: string; version: string; build: string };
        return { filename: `${r.name}-${r.version}-${r.build}.conda`, json: JSON.stringify(record) };
      }),
      now: Date.parse('2026-01-02T03:04:05Z'),
    },
    { store },
  );
}

const record = (name: string, version: string, extra: object = {}) => ({
  name,
  version,
  build: 'h0_0',
  build_number: 0,
  depends: ['python >=3.10'],
  license: 'MIT',
  size: 1000,
  sha256: 'b'.repeat(64),
  timestamp: 1_700_000_000_000,
  ...extra,
});

describe('channel pages', () => {
  let handle: StoreHandle;
  let t: TestApp;
  before(async () => {
    handle = await tempFsStore();
    await writeFixtureChannel(handle.store, 'fixture');
    await publishBrowse(handle.store, 'fixture', 'linux-64', [
      record('numpy', '1.26.4'),
      record('numpy', '2.0.0', { license: 'BSD-3-Clause', timestamp: 1_800_000_000_000 }),
      record('hostile', '1.0', { license: HOSTILE, depends: ['<b>dep</b>'] }),
      ...Array.from({ length: 120 }, (_, i) => record(`pkg-${String(i).padStart(3, '0')}`, '1.0')),
    ]);
    await publishBrowse(handle.store, 'fixture', 'noarch', [record('numpy', '1.26.4', { build: 'pyh0_0' })]);
    t = await startTestApp({ store: handle.store });
  });
  after(async () => {
    await t.close();
    await handle.dispose();
  });

  const page = (url: string) => t.app.inject({ url, headers: HTML });

  it('conda clients get exactly the 404s they got before for the page URLs', async () => {
    for (const url of ['/conda', '/conda/fixture', '/conda/fixture/', '/conda/fixture/-/packages/numpy']) {
      for (const method of ['GET', 'HEAD'] as const) {
        const response = await t.app.inject({ method, url, headers: { accept: 'application/json' } });
        assert.equal(response.statusCode, 404, `${method} ${url}`);
        if (method === 'GET') assert.equal(response.json().error.code, 'NOT_FOUND');
      }
    }
    // A file URL stays a file, for a browser too.
    const repodata = await page('/conda/fixture/linux-64/repodata.json');
    assert.equal(repodata.statusCode, 200);
    assert.match(repodata.headers['content-type'] as string, /application\/json/);
  });

  it('lists channels with subdirs, counts, size and last sync, under a strict CSP', async () => {
    const response = await page('/');
    assert.equal(response.statusCode, 200);
    const csp = response.headers['content-security-policy'] as string;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(response.headers['referrer-policy'], 'no-referrer');
    assert.match(response.body, /href="\/conda\/fixture\/">fixture<\/a>/);
    assert.match(response.body, /linux-64, noarch/);
    assert.match(response.body, /<td class="num">124<\/td>/);
    assert.match(response.body, /2026-01-02 03:04 UTC/);
    assert.doesNotMatch(
      response.body,
      /<script>(?!<\/script>)|<style>|\sstyle=|\son[a-z]+=/i,
      'no inline script, style or handler',
    );
  });

  it('searches by name, glob, version, platform and license, paginated', async () => {
    const names = async (query: string) => {
      const body = (await page(`/conda/fixture/?${query}`)).body;
      return [...body.matchAll(/<th scope="row"><a href="[^"]*">([^<]+)<\/a><\/th>/g)].map((m) => m[1]);
    };
    assert.deepEqual(await names('q=num'), ['numpy']);
    assert.deepEqual(
      await names('q=pkg-11*'),
      Array.from({ length: 10 }, (_, i) => `pkg-${110 + i}`),
    );
    assert.deepEqual(await names('q=numpy&version=2'), ['numpy']);
    assert.deepEqual(await names('q=numpy&version=3'), []);
    assert.deepEqual(await names('license=bsd'), ['numpy']);
    assert.deepEqual(await names('q=hostile&platform=noarch'), []);
    assert.deepEqual(await names('q=numpy&platform=noarch'), ['numpy']);
    const first = await names('');
    assert.equal(first.length, 50);
    const third = await names('page=3');
    // hostile, numpy, then pkg-000…: the third page starts at the 101st name.
    assert.deepEqual(
      third,
      Array.from({ length: 22 }, (_, i) => `pkg-${String(98 + i).padStart(3, '0')}`),
    );
    const body = (await page('/conda/fixture/?q=pkg&page=2')).body;
    assert.match(body, /href="\/conda\/fixture\/\?q=pkg&amp;page=3" rel="next"/);
  });

  it('shows a package: every file with size, sha256, depends, license, upload time and the .condarc', async () => {
    const response = await page('/conda/fixture/-/packages/numpy');
    assert.equal(response.statusCode, 200);
    assert.equal(
      (
        response.body.match(/<tr>\s*<th scope="row"><a href="\/conda\/fixture\/(linux-64|noarch)\/numpy-/g) ??
        []
      ).length,
      3,
    );
    assert.match(response.body, new RegExp('b'.repeat(64)));
    assert.match(response.body, /<code>python &gt;=3\.10<\/code>/);
    assert.match(response.body, /BSD-3-Clause/);
    assert.match(response.body, /2027-01-15 08:00 UTC/);
    const channel = await page('/conda/fixture/');
    assert.match(channel.body, /channels:\n {2}- http:\/\/localhost(:\d+)?\/conda\/fixture<\/code>/);
    assert.equal((await page('/conda/fixture/-/packages/absent')).statusCode, 404);
    assert.equal((await page('/conda/no-such-channel/')).statusCode, 404);
  });

  it('escapes everything that comes from upstream records', async () => {
    const body = (await page('/conda/fixture/-/packages/hostile')).body;
    assert.ok(
      body.includes('&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x'),
      'the license, escaped',
    );
    assert.ok(body.includes('&lt;b&gt;dep&lt;/b&gt;'), 'a dependency, escaped');
    assert.ok(!body.includes('<script>alert'), 'never raw');
    assert.ok(!body.includes('<b>dep'), 'never raw');
    const search = (await page('/conda/fixture/?q=%3Cscript%3E&license=%22%3E%3Cb%3E')).body;
    assert.ok(search.includes('value="&lt;script&gt;"') && search.includes('value="&quot;&gt;&lt;b&gt;"'));
  });
});

describe('channel pages behind channel tokens', () => {
  let handle: StoreHandle;
  let t: TestApp;
  before(async () => {
    handle = await tempFsStore();
    await publishBrowse(handle.store, 'private', 'linux-64', [record('numpy', '2.0.0')]);
    t = await startTestApp({ store: handle.store, env: { CONDASYNC_CHANNEL_TOKENS: CHANNEL_TOKEN } });
  });
  after(async () => {
    await t.close();
    await handle.dispose();
  });

  it('asks a browser for the token and keeps it in every link of the token URL', async () => {
    const home = await t.app.inject({ url: '/', headers: HTML });
    assert.equal(home.statusCode, 401);
    assert.match(home.body, /<label for="token">Channel token<\/label>/);
    assert.ok(!home.body.includes('numpy') && !home.body.includes('private'));
    const moved = await t.app.inject({ url: `/?token=${CHANNEL_TOKEN}`, headers: HTML });
    assert.equal(moved.statusCode, 303);
    assert.equal(moved.headers.location, `/t/${CHANNEL_TOKEN}/conda/`);
    assert.ok(!t.logs.text.includes(CHANNEL_TOKEN), 'the token is not logged');

    const list = await t.app.inject({ url: `/t/${CHANNEL_TOKEN}/conda/`, headers: HTML });
    assert.equal(list.statusCode, 200);
    assert.match(list.body, new RegExp(`href="/t/${CHANNEL_TOKEN}/conda/private/"`));
    const channel = await t.app.inject({ url: `/conda/t/${CHANNEL_TOKEN}/private/`, headers: HTML });
    assert.equal(channel.statusCode, 200);
    assert.match(
      channel.body,
      new RegExp(`- http://localhost(:\\d+)?/t/${CHANNEL_TOKEN}/conda/private</code>`),
    );
    assert.match(channel.body, new RegExp(`href="/t/${CHANNEL_TOKEN}/conda/private/-/packages/numpy"`));

    for (const url of ['/conda/private/', '/t/wrong-token-123/conda/private/-/packages/numpy']) {
      const refused = await t.app.inject({ url, headers: HTML });
      assert.equal(refused.statusCode, 401, url);
      assert.ok(!refused.body.includes('numpy'), url);
    }
  });
});
