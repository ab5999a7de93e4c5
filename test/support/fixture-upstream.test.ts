import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { type FixtureUpstream, startFixtureUpstream } from './fixture-upstream.ts';

const PACKAGE = 'noarch/demo-1.0-pyhd8ed1ab_0.conda';
const REPODATA = 'noarch/repodata.json';
const PACKAGE_BYTES = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31 + 7) % 251));
const REPODATA_BYTES = Buffer.from('{"info":{"subdir":"noarch"},"packages":{},"packages.conda":{}}\n');

let workDir: string;
let channelRoot: string;

before(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'fixture-upstream-'));
  channelRoot = path.join(workDir, 'channel');
  await mkdir(path.join(channelRoot, 'noarch'), { recursive: true });
  await writeFile(path.join(channelRoot, PACKAGE), PACKAGE_BYTES);
  await writeFile(path.join(channelRoot, REPODATA), REPODATA_BYTES);
  // Beside the channel, never reachable through it.
  await writeFile(path.join(workDir, 'secret.txt'), 'must not be served');
});

after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Whether the connection ended before the announced Content-Length arrived. */
  cutShort: boolean;
}

/**
 * GET with node:http, which (unlike fetch) sends the path unnormalized and reports how many bytes
 * arrived before a connection was cut. Gives up after `waitMs` when set (for stalled bodies).
 */
function rawGet(url: string, rawPath: string, waitMs?: number): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { hostname, port, path: rawPath, method: 'GET', agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        let settled = false;
        const finish = (cutShort: boolean) => {
          if (settled) return;
          settled = true;
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
            cutShort,
          });
        };
        if (waitMs !== undefined) {
          setTimeout(() => {
            finish(true);
            request.destroy();
          }, waitMs);
        }
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => finish(!response.complete));
        response.on('aborted', () => finish(true));
        response.on('error', () => finish(true));
        response.on('close', () => finish(!response.complete));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe('fixture upstream without a token', () => {
  let upstream: FixtureUpstream;

  before(async () => {
    upstream = await startFixtureUpstream({ root: channelRoot });
  });
  after(async () => {
    await upstream.close();
  });
  afterEach(() => {
    upstream.clearFaults();
    upstream.resetCounts();
  });

  test('listens on 127.0.0.1 and builds channel URLs without a trailing slash', () => {
    assert.match(upstream.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(upstream.channelUrl(), upstream.url);
    assert.equal(upstream.channelUrl(REPODATA), `${upstream.url}/${REPODATA}`);
    assert.equal(upstream.channelUrl(`/${REPODATA}`), `${upstream.url}/${REPODATA}`);
  });

  test('GET serves the exact bytes with Content-Length, a strong content ETag and Last-Modified', async () => {
    const response = await fetch(upstream.channelUrl(PACKAGE));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), String(PACKAGE_BYTES.length));
    assert.equal(response.headers.get('etag'), `"${sha256(PACKAGE_BYTES)}"`);
    assert.equal(response.headers.get('content-type'), 'application/octet-stream');
    assert.ok(Date.parse(response.headers.get('last-modified') ?? '') > 0);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), PACKAGE_BYTES);

    const repodata = await fetch(upstream.channelUrl(REPODATA));
    assert.equal(repodata.headers.get('content-type'), 'application/json');
    assert.equal(await repodata.text(), REPODATA_BYTES.toString());
  });

  test('a small file rewritten on disk is served anew, with its new ETag', async () => {
    const file = 'noarch/small-rewritten.json';
    await writeFile(path.join(channelRoot, file), '{"version":1}');
    assert.equal(await (await fetch(upstream.channelUrl(file))).text(), '{"version":1}');
    const changed = '{"version":22}';
    await writeFile(path.join(channelRoot, file), changed);
    const response = await fetch(upstream.channelUrl(file));
    assert.equal(await response.text(), changed);
    assert.equal(response.headers.get('etag'), `"${sha256(Buffer.from(changed))}"`);
  });

  test('HEAD answers the headers of GET and no body', async () => {
    const response = await fetch(upstream.channelUrl(PACKAGE), { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), String(PACKAGE_BYTES.length));
    assert.equal(response.headers.get('etag'), `"${sha256(PACKAGE_BYTES)}"`);
    assert.equal((await response.arrayBuffer()).byteLength, 0);
  });

  test('If-None-Match with the current ETag answers 304, another ETag gets the file', async () => {
    const first = await fetch(upstream.channelUrl(REPODATA));
    const etag = first.headers.get('etag') ?? '';
    await first.arrayBuffer();

    const cached = await fetch(upstream.channelUrl(REPODATA), { headers: { 'If-None-Match': etag } });
    assert.equal(cached.status, 304);
    assert.equal(cached.headers.get('etag'), etag);
    assert.equal((await cached.arrayBuffer()).byteLength, 0);

    const listed = await fetch(upstream.channelUrl(REPODATA), {
      headers: { 'If-None-Match': `"other", ${etag}` },
    });
    assert.equal(listed.status, 304);

    const stale = await fetch(upstream.channelUrl(REPODATA), { headers: { 'If-None-Match': '"stale"' } });
    assert.equal(stale.status, 200);
    assert.equal(await stale.text(), REPODATA_BYTES.toString());
  });

  test('If-Modified-Since at or after Last-Modified answers 304', async () => {
    const first = await fetch(upstream.channelUrl(REPODATA));
    const lastModified = first.headers.get('last-modified') ?? '';
    await first.arrayBuffer();
    const cached = await fetch(upstream.channelUrl(REPODATA), {
      headers: { 'If-Modified-Since': lastModified },
    });
    assert.equal(cached.status, 304);
    const old = await fetch(upstream.channelUrl(REPODATA), {
      headers: { 'If-Modified-Since': new Date(0).toUTCString() },
    });
    assert.equal(old.status, 200);
    await old.arrayBuffer();
  });

  test('missing files and folders answer 404', async () => {
    const missing = await fetch(upstream.channelUrl('linux-64/repodata.json'));
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
    const folder = await fetch(upstream.channelUrl('noarch'));
    assert.equal(folder.status, 404);
    await folder.arrayBuffer();
  });

  test('other methods answer 405', async () => {
    const response = await fetch(upstream.channelUrl(REPODATA), { method: 'POST', body: 'x' });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'GET, HEAD');
    await response.arrayBuffer();
  });

  test('path traversal is refused, plain and percent-encoded', async () => {
    for (const rawPath of [
      '/../secret.txt',
      '/noarch/../../secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e/secret.txt',
    ]) {
      const response = await rawGet(upstream.url, rawPath);
      assert.equal(response.status, 400, rawPath);
      assert.ok(!response.body.toString().includes('must not be served'), rawPath);
    }
  });

  test('counts requests per channel path and in total, until reset', async () => {
    for (const relPath of [REPODATA, REPODATA, PACKAGE, 'noarch/missing.conda']) {
      await (await fetch(upstream.channelUrl(relPath))).arrayBuffer();
    }
    assert.equal(upstream.requests.total, 4);
    assert.equal(upstream.requests.count(REPODATA), 2);
    assert.equal(upstream.requests.count(`/${PACKAGE}`), 1);
    assert.equal(upstream.requests.byPath.get('noarch/missing.conda'), 1);
    upstream.resetCounts();
    assert.equal(upstream.requests.total, 0);
    assert.equal(upstream.requests.count(REPODATA), 0);
  });

  for (const status of [404, 500, 503] as const) {
    test(`a ${status} fault for the first 2 requests, then the file`, async () => {
      upstream.setFault(PACKAGE, { type: 'status', status, times: 2 });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const response = await fetch(upstream.channelUrl(PACKAGE));
        statuses.push(response.status);
        const body = Buffer.from(await response.arrayBuffer());
        if (response.status === 200) assert.deepEqual(body, PACKAGE_BYTES);
      }
      assert.deepEqual(statuses, [status, status, 200]);
    });
  }

  test('a status fault without times stays until setFault(null); other files are unaffected', async () => {
    upstream.setFault(REPODATA, { type: 'status', status: 503 });
    for (let i = 0; i < 3; i += 1) {
      const response = await fetch(upstream.channelUrl(REPODATA));
      assert.equal(response.status, 503);
      await response.arrayBuffer();
    }
    const other = await fetch(upstream.channelUrl(PACKAGE));
    assert.equal(other.status, 200);
    await other.arrayBuffer();
    upstream.setFault(REPODATA, null);
    const healed = await fetch(upstream.channelUrl(REPODATA));
    assert.equal(healed.status, 200);
    await healed.arrayBuffer();
  });

  test('status faults apply to HEAD too and consume their count', async () => {
    upstream.setFault(REPODATA, { type: 'status', status: 500, times: 1 });
    assert.equal((await fetch(upstream.channelUrl(REPODATA), { method: 'HEAD' })).status, 500);
    assert.equal((await fetch(upstream.channelUrl(REPODATA), { method: 'HEAD' })).status, 200);
  });

  test('a 429 fault sends Retry-After for the first N requests', async () => {
    upstream.setFault(REPODATA, { type: 'rate-limit', retryAfterSeconds: 7, times: 2 });
    for (let i = 0; i < 2; i += 1) {
      const limited = await fetch(upstream.channelUrl(REPODATA));
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '7');
      await limited.arrayBuffer();
    }
    const served = await fetch(upstream.channelUrl(REPODATA));
    assert.equal(served.status, 200);
    assert.equal(await served.text(), REPODATA_BYTES.toString());
  });

  test('a corrupt fault sends the same length with exactly one byte altered, then the file', async () => {
    upstream.setFault(PACKAGE, { type: 'corrupt', times: 1 });
    const corrupted = await fetch(upstream.channelUrl(PACKAGE));
    assert.equal(corrupted.status, 200);
    const body = Buffer.from(await corrupted.arrayBuffer());
    assert.equal(body.length, PACKAGE_BYTES.length);
    const differing = [...body.keys()].filter((i) => body[i] !== PACKAGE_BYTES[i]);
    assert.deepEqual(differing, [PACKAGE_BYTES.length / 2]);
    assert.notEqual(sha256(body), sha256(PACKAGE_BYTES));

    const clean = await fetch(upstream.channelUrl(PACKAGE));
    assert.deepEqual(Buffer.from(await clean.arrayBuffer()), PACKAGE_BYTES);
  });

  test('body faults leave HEAD alone and do not consume their count', async () => {
    upstream.setFault(PACKAGE, { type: 'corrupt', times: 1 });
    const head = await fetch(upstream.channelUrl(PACKAGE), { method: 'HEAD' });
    assert.equal(head.status, 200);
    const body = Buffer.from(await (await fetch(upstream.channelUrl(PACKAGE))).arrayBuffer());
    assert.notDeepEqual(body, PACKAGE_BYTES);
  });

  test('a truncate fault announces the full length, sends K bytes and cuts the connection', async () => {
    upstream.setFault(PACKAGE, { type: 'truncate', afterBytes: 70_000, times: 1 });
    const cut = await rawGet(upstream.url, `/${PACKAGE}`);
    assert.equal(cut.status, 200);
    assert.equal(cut.headers['content-length'], String(PACKAGE_BYTES.length));
    assert.equal(cut.cutShort, true);
    assert.equal(cut.body.length, 70_000);
    assert.deepEqual(cut.body, PACKAGE_BYTES.subarray(0, 70_000));

    await assert.rejects(async () => {
      upstream.setFault(PACKAGE, { type: 'truncate', afterBytes: 1000, times: 1 });
      await (await fetch(upstream.channelUrl(PACKAGE))).arrayBuffer();
    });

    const whole = await rawGet(upstream.url, `/${PACKAGE}`);
    assert.equal(whole.cutShort, false);
    assert.deepEqual(whole.body, PACKAGE_BYTES);
  });

  test('a slow fault throttles the body to the given rate and delivers it intact', async () => {
    upstream.setFault(REPODATA, { type: 'slow', bytesPerSecond: 100 });
    const started = performance.now();
    const response = await fetch(upstream.channelUrl(REPODATA));
    const text = await response.text();
    const elapsedMs = performance.now() - started;
    assert.equal(text, REPODATA_BYTES.toString());
    // 64 bytes at 100 B/s: the last slice cannot leave before ~0.6 s.
    assert.ok(elapsedMs >= (REPODATA_BYTES.length / 100) * 1000 * 0.8, `took only ${elapsedMs} ms`);
  });

  test('a stall fault sends K bytes and then nothing while the connection stays open', async () => {
    upstream.setFault(PACKAGE, { type: 'stall', afterBytes: 5000 });
    const stalled = await rawGet(upstream.url, `/${PACKAGE}`, 400);
    assert.equal(stalled.status, 200);
    assert.equal(stalled.cutShort, true);
    assert.equal(stalled.body.length, 5000);

    const controller = new AbortController();
    const response = await fetch(upstream.channelUrl(PACKAGE), { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await assert.rejects(response.arrayBuffer(), { name: 'AbortError' });
  });
});

describe('fixture upstream with a token', () => {
  let upstream: FixtureUpstream;

  before(async () => {
    upstream = await startFixtureUpstream({ root: channelRoot, token: 'tk-123' });
  });
  after(async () => {
    await upstream.close();
  });

  test('serves under /t/<token>/ only', async () => {
    assert.equal(upstream.channelUrl(REPODATA), `${upstream.url}/t/tk-123/${REPODATA}`);
    const served = await fetch(upstream.channelUrl(REPODATA));
    assert.equal(served.status, 200);
    assert.equal(await served.text(), REPODATA_BYTES.toString());
  });

  test('a path without the token answers 401', async () => {
    const response = await fetch(`${upstream.url}/${REPODATA}`);
    assert.equal(response.status, 401);
    await response.arrayBuffer();
  });

  test('a wrong token answers 401', async () => {
    const response = await fetch(`${upstream.url}/t/wrong/${REPODATA}`);
    assert.equal(response.status, 401);
    assert.ok(!(await response.text()).includes('tk-123'));
  });

  test('faults and counts use the channel-relative path', async () => {
    upstream.resetCounts();
    upstream.setFault(REPODATA, { type: 'status', status: 503, times: 1 });
    const faulted = await fetch(upstream.channelUrl(REPODATA));
    assert.equal(faulted.status, 503);
    await faulted.arrayBuffer();
    assert.equal(upstream.requests.count(REPODATA), 1);
  });

  test('rejects a token with characters a channel URL cannot carry', async () => {
    await assert.rejects(
      startFixtureUpstream({ root: channelRoot, token: 'a/b' }),
      /token "a\/b" is not valid/,
    );
  });
});

test('close() returns while a stalled response is still open', async () => {
  const upstream = await startFixtureUpstream({ root: channelRoot });
  upstream.setFault(PACKAGE, { type: 'stall', afterBytes: 10 });
  const pending = rawGet(upstream.url, `/${PACKAGE}`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  await upstream.close();
  const stalled = await pending;
  assert.equal(stalled.cutShort, true);
  assert.equal(stalled.body.length, 10);
});

test('latencyMs delays every answer, concurrent requests each by the same time, not one after another', async () => {
  const upstream = await startFixtureUpstream({ root: channelRoot, latencyMs: 150 });
  try {
    const started = performance.now();
    const responses = await Promise.all(Array.from({ length: 4 }, () => rawGet(upstream.url, `/${PACKAGE}`)));
    const elapsed = performance.now() - started;
    for (const response of responses) assert.equal(sha256(response.body), sha256(PACKAGE_BYTES));
    assert.ok(elapsed >= 150, `answered after ${elapsed.toFixed(0)} ms, before the 150 ms latency`);
    assert.ok(elapsed < 4 * 150, `four requests took ${elapsed.toFixed(0)} ms: the delays did not overlap`);
  } finally {
    await upstream.close();
  }
});

test('a negative latencyMs is refused with its value', async () => {
  await assert.rejects(
    startFixtureUpstream({ root: channelRoot, latencyMs: -1 }),
    /latencyMs -1 is not valid/,
  );
});
