import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SyncView } from '@condasync/queue';
import { DistributedHarness } from '../support/distributed-harness.ts';
import { type FixtureUpstream, startFixtureUpstream } from '../support/fixture-upstream.ts';
import type { RunningRole } from '../support/roles.ts';

const testRecipes = join(import.meta.dirname, '../fixtures/conda-test-data/conda/tests/data/test-recipes');
const TOKEN = 'e2e-verify-token-0123456789';
const victim = 'dependency-2.0-0.conda';

interface VerificationView {
  id: string;
  status: string;
  repair: boolean;
  error?: string;
  report?: {
    status: string;
    checked: number;
    missing: number;
    mismatched: number;
    repaired: number;
    problems: Array<{ subdir: string; filename: string; status: string; repaired?: boolean }>;
  };
}

function packageRequests(upstream: FixtureUpstream): string[] {
  return [...upstream.requests.byPath.keys()].filter((path) => /\.(conda|tar\.bz2)$/.test(path)).sort();
}

// Reset and verification as API jobs: the API process and one worker on a real Redis and S3 server.
describe('POST /v1/syncs?reset=true and /v1/verifications', () => {
  let upstream: FixtureUpstream;
  let harness: DistributedHarness;
  let api: RunningRole;
  let base: string;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const config = (): string =>
    `channels: [${upstream.channelUrl()}]\nplatforms: []\ndest_channel: checked\nretries: 1\n`;

  before(async () => {
    upstream = await startFixtureUpstream({ root: testRecipes });
    harness = await DistributedHarness.create('e2e-verify');
    ({ api, base } = await harness.startApi({ token: TOKEN, upstreamUrl: upstream.url }));
    await harness.startWorkers(1);
  });

  after(async () => {
    await api.stop();
    await harness.close();
    await upstream.close();
  });

  async function post(path: string): Promise<{ status: number; id: string; location: string | null }> {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/yaml' },
      body: config(),
    });
    const body = (await response.json()) as { id: string };
    return { status: response.status, id: body.id, location: response.headers.get('location') };
  }

  async function sync(query = ''): Promise<SyncView> {
    const submitted = await post(`/v1/syncs${query}`);
    assert.equal(submitted.status, 202);
    return harness.waitForEnd(submitted.id);
  }

  async function verify(query = ''): Promise<VerificationView> {
    const submitted = await post(`/v1/verifications${query}`);
    assert.equal(submitted.status, 202);
    assert.equal(submitted.location, `/v1/verifications/${submitted.id}`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const response = await fetch(`${base}${submitted.location}`, { headers: auth });
      assert.equal(response.status, 200);
      const view = (await response.json()) as VerificationView;
      if (!['queued', 'running'].includes(view.status)) return view;
      if (Date.now() > deadline) throw new Error(`verification did not end: ${JSON.stringify(view)}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  test('filename collisions between merged channels are reported with both sources', async () => {
    const twin = await startFixtureUpstream({ root: testRecipes });
    try {
      const id = await harness.submit({
        channels: [upstream.channelUrl(), twin.channelUrl()],
        platforms: [],
        dest_channel: 'merged',
      });
      const ended = await harness.waitForEnd(id);
      assert.equal(ended.status, 'succeeded', JSON.stringify(ended));
      const response = await fetch(`${base}/v1/syncs/${id}`, { headers: auth });
      const view = (await response.json()) as SyncView;
      const listed = JSON.parse((await harness.storedText('merged/noarch/repodata.json')) ?? '{}') as {
        packages: object;
        'packages.conda': object;
      };
      const files = Object.keys(listed.packages).length + Object.keys(listed['packages.conda']).length;
      assert.ok(files > 10);
      // Every file of the twin collides with the first channel's, which wins.
      assert.equal(view.collisions.total, files);
      assert.equal(view.collisions.first.length, Math.min(files, 50));
      const victimCollision = view.collisions.first.find((c) => c.filename === victim);
      assert.deepEqual(victimCollision, {
        subdir: 'noarch',
        filename: victim,
        kept: upstream.channelUrl(),
        dropped: twin.channelUrl(),
      });
      assert.equal(twin.requests.byPath.size > 0, true, 'the second channel was read');
      assert.deepEqual(packageRequests(twin), [], 'nothing was downloaded from the losing channel');
    } finally {
      await twin.close();
    }
  });

  test('a reset sync refetches repodata without If-None-Match and downloads nothing unchanged', async () => {
    assert.equal((await sync()).status, 'succeeded');
    upstream.resetCounts();
    assert.equal((await sync()).status, 'succeeded');
    assert.ok(upstream.conditionalRequests.count('noarch/repodata.json') > 0, 'a plain sync revalidates');

    upstream.resetCounts();
    const reset = await sync('?reset=true');
    assert.equal(reset.status, 'succeeded', JSON.stringify(reset));
    assert.ok(upstream.requests.count('noarch/repodata.json') > 0);
    assert.equal(upstream.conditionalRequests.total, 0);
    assert.deepEqual(packageRequests(upstream), []);

    const refused = await fetch(`${base}/v1/syncs?reset=yes`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/yaml' },
      body: config(),
    });
    assert.equal(refused.status, 400);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /reset/);
  });

  test('a verification reports a changed and a deleted package; repair restores them; then it is clean', async () => {
    const clean = await verify();
    assert.equal(clean.status, 'clean', JSON.stringify(clean));
    assert.ok((clean.report?.checked ?? 0) > 10);

    const key = `checked/noarch/${victim}`;
    const good = await readFile(join(testRecipes, 'noarch', victim));
    const bad = Buffer.from(good);
    bad[bad.length >> 1] = (bad[bad.length >> 1] as number) ^ 0xff;
    const sha256 = createHash('sha256').update(bad).digest('hex');
    await harness.store.put(key, bad, { size: bad.length, sha256 });
    await harness.store.delete('checked/noarch/dependent-1.0-0.conda');

    const found = await verify();
    assert.equal(found.status, 'problems', JSON.stringify(found));
    assert.equal(found.report?.mismatched, 1);
    assert.equal(found.report?.missing, 1);
    assert.deepEqual(
      found.report?.problems.map((p) => `${p.status} ${p.filename}`),
      [`mismatch ${victim}`, 'missing dependent-1.0-0.conda'],
    );

    upstream.resetCounts();
    const repaired = await verify('?repair=true');
    assert.equal(repaired.status, 'repaired', JSON.stringify(repaired));
    assert.equal(repaired.report?.repaired, 2);
    assert.deepEqual(packageRequests(upstream), [`noarch/${victim}`, 'noarch/dependent-1.0-0.conda']);
    assert.equal(await harness.storedSha256(key), createHash('sha256').update(good).digest('hex'));

    assert.equal((await verify()).status, 'clean');
    const missing = await fetch(`${base}/v1/verifications/0000000aa-0123456789`, { headers: auth });
    assert.equal(missing.status, 404);
  });
});
