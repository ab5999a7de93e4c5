import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bundleChunks, fullBundleManifest } from '@condasync/mirror';
import { DistributedHarness } from '../support/distributed-harness.ts';
import { type FixtureUpstream, startFixtureUpstream } from '../support/fixture-upstream.ts';
import type { RunningRole } from '../support/roles.ts';

const testRecipes = join(import.meta.dirname, '../fixtures/conda-test-data/conda/tests/data/test-recipes');
const TOKEN = 'e2e-import-token-0123456789';

interface ImportView {
  id: string;
  status: string;
  destChannel: string;
  bundle: string;
  error?: string;
  report?: { kind: string; members: number; stored: number; published: string[] };
}

// POST /v1/imports: a bundle uploaded to the object store is verified and published by a worker.
describe('POST /v1/imports', () => {
  let upstream: FixtureUpstream;
  let harness: DistributedHarness;
  let api: RunningRole;
  let base: string;
  const auth = { authorization: `Bearer ${TOKEN}` };

  before(async () => {
    upstream = await startFixtureUpstream({ root: testRecipes });
    harness = await DistributedHarness.create('e2e-import');
    ({ api, base } = await harness.startApi({ token: TOKEN, upstreamUrl: upstream.url }));
    await harness.startWorkers(1);
    const id = await harness.submit({
      channels: [upstream.channelUrl()],
      platforms: [],
      dest_channel: 'source',
    });
    assert.equal((await harness.waitForEnd(id)).status, 'succeeded');
  });

  after(async () => {
    await api.stop();
    await harness.close();
    await upstream.close();
  });

  /** Writes a full bundle of the `source` channel to `key`, with one byte flipped in `flip` when given. */
  async function uploadBundle(key: string, flip?: string): Promise<void> {
    const manifest = await fullBundleManifest(harness.store, 'source/', 'source');
    const parts: Uint8Array[] = [];
    for await (const chunk of bundleChunks(harness.store, 'source/', manifest)) parts.push(chunk);
    const bytes = Buffer.concat(parts);
    if (flip !== undefined) {
      // The member's bytes follow its 512-byte tar header, which starts with its name (the
      // manifest, earlier in the bundle, names it too, at an offset that is not a block start).
      let header = bytes.indexOf(Buffer.from(flip));
      while (header % 512 !== 0) header = bytes.indexOf(Buffer.from(flip), header + 1);
      const at = header + 512 + 100;
      bytes[at] = (bytes[at] as number) ^ 0xff;
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await harness.store.put(key, bytes, { size: bytes.length, sha256 });
  }

  async function submit(
    body: unknown,
  ): Promise<{ status: number; body: { id?: string; error?: { message: string } } }> {
    const response = await fetch(`${base}/v1/imports`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json()) as { id?: string; error?: { message: string } },
    };
  }

  async function importToEnd(body: unknown): Promise<ImportView> {
    const submitted = await submit(body);
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const response = await fetch(`${base}/v1/imports/${submitted.body.id}`, { headers: auth });
      assert.equal(response.status, 200);
      const view = (await response.json()) as ImportView;
      if (!['queued', 'running', 'waiting'].includes(view.status)) return view;
      if (Date.now() > deadline) throw new Error(`import did not end: ${JSON.stringify(view)}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  test('a bundle in the store is published into another channel with identical repodata and files', async () => {
    await uploadBundle('bundles/source.tar');
    const view = await importToEnd({ bundle: 'bundles/source.tar', dest_channel: 'copy' });
    assert.equal(view.status, 'succeeded', JSON.stringify(view));
    assert.equal(view.report?.kind, 'full');
    assert.ok((view.report?.stored ?? 0) > 10);
    assert.ok(view.report?.published.includes('noarch/repodata.json'));
    const source = (await harness.listKeys('source/')).map((key) => key.slice('source/'.length));
    const copy = (await harness.listKeys('copy/')).map((key) => key.slice('copy/'.length));
    assert.deepEqual(copy, source);
    for (const path of source)
      assert.equal(
        await harness.storedSha256(`copy/${path}`),
        await harness.storedSha256(`source/${path}`),
        path,
      );
  });

  test('a bundle with one flipped byte fails naming the member, and nothing is published', async () => {
    const victim = 'noarch/dependency-2.0-0.conda';
    await uploadBundle('bundles/flipped.tar', victim);
    const view = await importToEnd({ bundle: 'bundles/flipped.tar', dest_channel: 'damaged' });
    assert.equal(view.status, 'failed', JSON.stringify(view));
    assert.match(view.error ?? '', /dependency-2\.0-0\.conda/);
    const published = (await harness.listKeys('damaged/')).filter((key) => /repodata|channeldata/.test(key));
    assert.deepEqual(published, []);
  });

  test('bad requests are refused with the problem named, before anything is queued', async () => {
    const missing = await submit({ bundle: 'bundles/nope.tar', dest_channel: 'copy' });
    assert.equal(missing.status, 400);
    assert.match(missing.body.error?.message ?? '', /no bundle 'bundles\/nope\.tar'/);
    const escaping = await submit({ bundle: 'bundles/../source/noarch/repodata.json', dest_channel: 'copy' });
    assert.equal(escaping.status, 400);
    assert.match(escaping.body.error?.message ?? '', /'\.\.' segment/);
    const internal = await submit({ bundle: '.condasync/state/x', dest_channel: 'copy' });
    assert.equal(internal.status, 400);
    assert.match(internal.body.error?.message ?? '', /\.condasync/);
    const badChannel = await submit({ bundle: 'bundles/source.tar', dest_channel: '../etc' });
    assert.equal(badChannel.status, 400);
    assert.match(badChannel.body.error?.message ?? '', /dest_channel/);
    const unknown = await fetch(`${base}/v1/imports/imp-0000000aa-0123456789`, { headers: auth });
    assert.equal(unknown.status, 404);
    const unauthorized = await fetch(`${base}/v1/imports`, { method: 'POST', body: '{}' });
    assert.equal(unauthorized.status, 401);
  });
});
