import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { SyncView } from '@condasync/queue';
import { DistributedHarness } from '../support/distributed-harness.ts';
import { type FixtureUpstream, startFixtureUpstream } from '../support/fixture-upstream.ts';
import type { RunningRole } from '../support/roles.ts';

const fixtures = join(import.meta.dirname, '../fixtures/conda-test-data/conda/tests/data');
const formatRepo = join(fixtures, 'conda_format_repo');
const TOKEN = 'e2e-api-token-0123456789';
const UPSTREAM_TOKEN = 'upstream-secret-42';
const run = promisify(execFile);

// The product as deployed: the API process and three worker processes on a real Redis and a real
// S3 server, a token-protected loopback upstream serving a real channel, and clients speaking HTTP.
describe('distributed mode through the REST API', () => {
  let upstream: FixtureUpstream;
  let harness: DistributedHarness;
  let api: RunningRole;
  let base: string;
  let configDir: string;
  const auth = { authorization: `Bearer ${TOKEN}` };

  before(async () => {
    upstream = await startFixtureUpstream({ root: formatRepo, token: UPSTREAM_TOKEN });
    harness = await DistributedHarness.create('e2e-api');
    ({ api, base } = await harness.startApi({ token: TOKEN, upstreamUrl: upstream.url }));
    await harness.startWorkers(3);
    configDir = await mkdtemp(join(tmpdir(), 'condasync-api-e2e-'));
  });

  after(async () => {
    assert.equal(await api.stop(), 0, 'the API stops cleanly on SIGTERM');
    await harness.close();
    await upstream.close();
    await rm(configDir, { recursive: true, force: true });
  });

  const yaml = (dest: string, extra = ''): string =>
    `channels: [${upstream.channelUrl()}]\nplatforms: [linux-64, osx-64, win-64]\ndest_channel: ${dest}\nretries: 1\n${extra}`;

  async function post(
    body: string,
  ): Promise<{ status: number; location: string | null; json: { id: string } }> {
    const response = await fetch(`${base}/v1/syncs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/yaml' },
      body,
    });
    return {
      status: response.status,
      location: response.headers.get('location'),
      json: (await response.json()) as { id: string },
    };
  }

  async function follow(id: string, timeoutMs = 60_000): Promise<SyncView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = (await (await fetch(`${base}/v1/syncs/${id}`, { headers: auth })).json()) as SyncView;
      if (['succeeded', 'partial', 'failed', 'cancelled'].includes(view.status)) return view;
      if (Date.now() > deadline) throw new Error(`sync ${id} did not end: ${JSON.stringify(view)}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  test('POST a YAML sync → 202; it ends partial naming the missing files; the rest is published verbatim', async () => {
    const submitted = await post(yaml('formats'));
    assert.equal(submitted.status, 202);
    assert.equal(submitted.location, `/v1/syncs/${submitted.json.id}`);
    const view = await follow(submitted.json.id);
    assert.equal(view.status, 'partial', JSON.stringify(view));
    assert.deepEqual(view.failures.map((f) => `${f.subdir}/${f.filename}`).sort(), [
      'linux-64/libgcc-ng-8.2.0-hdf63c60_1.tar.bz2',
      'win-64/vc-14.1-h0510ff6_4.tar.bz2',
      'win-64/vs2015_runtime-14.15.26706-h3a45250_4.tar.bz2',
      'win-64/zlib-1.2.8-0.tar.bz2',
    ]);
    for (const failure of view.failures) {
      assert.match(failure.reason, /HTTP 404/);
      assert.doesNotMatch(failure.reason, new RegExp(UPSTREAM_TOKEN), 'upstream token never reported');
    }
    // The config rests in Redis until the sync ends, sealed: the token never lies there in clear.
    const stored = await harness.redis.hgetall(`${harness.queuePrefix}:sync:${submitted.json.id}`);
    assert.match(stored['config'] ?? '', /^sealed:v1:/);
    assert.ok(!JSON.stringify(stored).includes(UPSTREAM_TOKEN), 'upstream token stored in clear');
    for (const subdir of ['linux-64', 'osx-64', 'win-64']) {
      const upstreamDoc = JSON.parse(await readFile(join(formatRepo, subdir, 'repodata.json'), 'utf8'));
      const published = JSON.parse(
        await (await fetch(`${base}/conda/formats/${subdir}/repodata.json`)).text(),
      );
      const failed = new Set(view.failures.filter((f) => f.subdir === subdir).map((f) => f.filename));
      for (const section of ['packages', 'packages.conda'] as const) {
        const expected = Object.fromEntries(
          Object.entries(upstreamDoc[section] ?? {}).filter(([name]) => !failed.has(name)),
        );
        assert.deepEqual(published[section], expected, `${subdir} ${section}`);
        for (const [name, record] of Object.entries(
          expected as Record<string, { sha256: string; size: number }>,
        )) {
          const response = await fetch(`${base}/conda/formats/${subdir}/${name}`);
          const bytes = Buffer.from(await response.arrayBuffer());
          assert.equal(bytes.byteLength, record.size);
          assert.equal(await harness.storedSha256(`formats/${subdir}/${name}`), record.sha256);
        }
      }
    }
    assert.doesNotMatch(api.output(), new RegExp(UPSTREAM_TOKEN));
    for (const worker of harness.workers) assert.doesNotMatch(worker.output(), new RegExp(UPSTREAM_TOKEN));
  });

  test('clients revalidate repodata with If-None-Match and get 304; HEAD and Range work', async () => {
    const first = await fetch(`${base}/conda/formats/osx-64/repodata.json`);
    const etag = first.headers.get('etag');
    assert.ok(etag);
    assert.match(first.headers.get('cache-control') ?? '', /max-age=/);
    await first.arrayBuffer();
    const again = await fetch(`${base}/conda/formats/osx-64/repodata.json`, {
      headers: { 'if-none-match': etag },
    });
    assert.equal(again.status, 304);
    const head = await fetch(`${base}/conda/formats/osx-64/zlib-1.2.11-h1de35cc_3.conda`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '91992');
    assert.match(head.headers.get('cache-control') ?? '', /immutable/);
    const range = await fetch(`${base}/conda/formats/osx-64/zlib-1.2.11-h1de35cc_3.conda`, {
      headers: { range: 'bytes=0-3' },
    });
    assert.equal(range.status, 206);
    assert.deepEqual(
      [...Buffer.from(await range.arrayBuffer())],
      [0x50, 0x4b, 0x03, 0x04],
      'a .conda is a zip',
    );
    assert.equal(
      (await fetch(`${base}/conda/formats/noarch/repodata.json`)).status,
      200,
      'noarch always exists',
    );
    assert.equal((await fetch(`${base}/conda/formats/osx-64/current_repodata.json`)).status, 404);
  });

  test('a second identical POST downloads nothing', async () => {
    upstream.resetCounts();
    const view = await follow((await post(yaml('formats'))).json.id);
    assert.equal(view.counts.downloaded, 0);
    assert.equal(view.counts.skipped, 6);
    const packageRequests = [...upstream.requests.byPath.keys()].filter(
      (p) => /\.(conda|tar\.bz2)$/.test(p) && !/libgcc|vc-14|vs2015|zlib-1\.2\.8/.test(p),
    );
    assert.deepEqual(packageRequests, []);
  });

  test('DELETE cancels a running sync and nothing is published', async () => {
    for (const name of ['zlib-1.2.11-h7b6447c_3.conda', 'zlib-1.2.11-h7b6447c_3.tar.bz2']) {
      upstream.setFault(`linux-64/${name}`, { type: 'slow', bytesPerSecond: 20_000 });
    }
    const { json } = await post(yaml('cancelled'));
    await harness.waitFor(json.id, (v) => v.status === 'downloading');
    const response = await fetch(`${base}/v1/syncs/${json.id}`, { method: 'DELETE', headers: auth });
    assert.equal(response.status, 202);
    assert.equal(((await response.json()) as SyncView).status, 'cancelled');
    assert.equal(
      (await fetch(`${base}/v1/syncs/${json.id}`, { method: 'DELETE', headers: auth })).status,
      409,
    );
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal((await fetch(`${base}/conda/cancelled/linux-64/repodata.json`)).status, 404);
    upstream.clearFaults();
  });

  test('bad input gets clear errors: invalid config, unlisted upstream, no token', async () => {
    const invalid = await fetch(`${base}/v1/syncs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/yaml' },
      body: 'platforms: [mars-64]\nblacklst: [x]\n',
    });
    assert.equal(invalid.status, 400);
    const error = ((await invalid.json()) as { error: { code: string; details: Array<{ path: string }> } })
      .error;
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.deepEqual(error.details.map((d) => d.path).sort(), ['blacklst', 'platforms[0]']);
    const refused = await fetch(`${base}/v1/syncs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/yaml' },
      body: 'channels: [file:///etc]\n',
    });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'UPSTREAM_NOT_ALLOWED');
    assert.equal((await fetch(`${base}/v1/syncs`, { method: 'POST', body: yaml('x') })).status, 401);
  });

  test('condasync sync --server submits, follows and exits 1 for a partial sync', async () => {
    const file = join(configDir, 'remote.yaml');
    await writeFile(file, yaml('via-cli'));
    const cli = join(import.meta.dirname, '../../apps/cli/bin/condasync.js');
    const result = await run(process.execPath, [cli, 'sync', '-f', file, '--server', base], {
      env: { ...process.env, CONDASYNC_API_TOKEN: TOKEN },
    }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /partial: 6 downloaded/);
    assert.match(result.stdout, /win-64\/vc-14\.1-h0510ff6_4\.tar\.bz2: .*HTTP 404/);
  });

  test('/metrics on the API counts submissions, requests and queue depths', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const submitted = Number(/condasync_syncs_submitted_total (\d+)/.exec(text)?.[1]);
    assert.ok(submitted >= 4, `syncs submitted: ${submitted}`);
    assert.match(text, /condasync_http_requests_total\{[^}]*route="\/v1\/syncs"/);
    assert.match(text, /condasync_queue_jobs\{queue="condasync-package",state="completed"\}/);
    assert.match(text, /condasync_served_bytes_total\{kind="package"\} [1-9]/);
  });
});
