import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type FixtureUpstream, startFixtureUpstream } from '../../../../test/support/fixture-upstream.ts';
import { UpstreamHttp } from '../../src/upstream/http-client.ts';
import { type LoopbackChannels, serveChannelsForSolver } from '../../src/upstream/loopback-channel.ts';
import { testRecipes } from '../sync-helpers.ts';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request, so that `..` in the path reaches the server as written (fetch would normalise it). */
function rawRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const TOKEN = 'solver-token-0123';
const proxyOptions = (http: UpstreamHttp) => ({ http, deadlineMs: 5000, minBytesPerSecond: 0 });

describe('serveChannelsForSolver', () => {
  let dir: string;
  let upstream: FixtureUpstream;
  let http: UpstreamHttp;
  let gateway: LoopbackChannels;
  let base: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'condasync-loopback-'));
    await mkdir(join(dir, 'channel', 'noarch'), { recursive: true });
    await writeFile(join(dir, 'channel', 'noarch', 'repodata.json'), '{"packages": {}}');
    await writeFile(join(dir, 'secret.txt'), 'outside the channel');
    upstream = await startFixtureUpstream({ root: testRecipes, token: TOKEN });
    http = new UpstreamHttp();
    gateway = await serveChannelsForSolver(
      [pathToFileURL(join(dir, 'channel')).href, upstream.channelUrl()],
      proxyOptions(http),
    );
    base = gateway.urls[0]!.replace(/\/0\/$/, '');
  });
  after(async () => {
    await gateway.close();
    await http.close();
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('gives one loopback URL per channel', () => {
    assert.equal(gateway.urls.length, 2);
    assert.match(gateway.urls[0]!, /^http:\/\/127\.0\.0\.1:\d+\/0\/$/);
    assert.equal(gateway.urls[1], gateway.urls[0]!.replace(/\/0\/$/, '/1/'));
  });

  test('serves a file:// channel folder, GET and HEAD, and nothing outside it', async () => {
    assert.deepEqual((await rawRequest(base, 'GET', '/0/noarch/repodata.json')).body, '{"packages": {}}');
    const head = await rawRequest(base, 'HEAD', '/0/noarch/repodata.json');
    assert.deepEqual([head.status, head.body, head.headers['content-length']], [200, '', '16']);
    for (const path of [
      '/0/noarch/repodata.json.zst',
      '/0/noarch',
      '/0/../secret.txt',
      '/0/%2e%2e/secret.txt',
      '/7/noarch/repodata.json',
      '/',
    ]) {
      assert.equal((await rawRequest(base, 'GET', path)).status, 404, path);
    }
  });

  test('proxies an http(s) channel (token included) with its statuses and caching headers', async () => {
    const expected = await readFile(join(testRecipes, 'noarch', 'repodata.json'), 'utf8');
    const got = await rawRequest(base, 'GET', '/1/noarch/repodata.json');
    assert.equal(got.status, 200);
    assert.equal(got.body, expected);
    const etag = got.headers['etag'];
    assert.equal(typeof etag, 'string');
    const revalidated = await rawRequest(base, 'GET', '/1/noarch/repodata.json', {
      'if-none-match': etag as string,
    });
    assert.equal(revalidated.status, 304);
    assert.equal((await rawRequest(base, 'GET', '/1/noarch/no-such-file.json')).status, 404);
    assert.ok(upstream.requests.count('noarch/repodata.json') >= 2, 'the requests reached the upstream');
  });

  test('a proxied fetch obeys the client address policy: 502 with the reason', async () => {
    const publicOnly = new UpstreamHttp({ publicAddressesOnly: true });
    const guarded = await serveChannelsForSolver([upstream.channelUrl()], proxyOptions(publicOnly));
    try {
      const refused = await rawRequest(guarded.urls[0]!, 'GET', '/0/noarch/repodata.json');
      assert.equal(refused.status, 502);
      assert.match(refused.body, /loopback, private or link-local/);
    } finally {
      await guarded.close();
      await publicOnly.close();
    }
  });

  test('refuses methods other than GET and HEAD and malformed paths; stops listening when closed', async () => {
    assert.equal((await rawRequest(base, 'PUT', '/0/noarch/repodata.json')).status, 405);
    assert.equal((await rawRequest(base, 'GET', '/0/%E0%A4%A')).status, 400);
    const other = await serveChannelsForSolver([pathToFileURL(dir).href], proxyOptions(http));
    await other.close();
    await assert.rejects(rawRequest(other.urls[0]!, 'GET', '/0/secret.txt'), /ECONNREFUSED/);
  });
});
