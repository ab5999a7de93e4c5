import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CleanReportView, CleanupView, SyncView } from '@condasync/queue';
import { DistributedHarness } from '../support/distributed-harness.ts';
import { type FixtureUpstream, startFixtureUpstream } from '../support/fixture-upstream.ts';
import type { RunningRole } from '../support/roles.ts';

const testRecipes = join(import.meta.dirname, '../fixtures/conda-test-data/conda/tests/data/test-recipes');
const TOKEN = 'e2e-cleanup-token-0123456789';
const DROPPED = [
  ['versioned-1.0-0.conda', 3814],
  ['versioned-2.0-0.conda', 3838],
];

// The API process and a worker process on a real Redis and a real S3 server (moto): a mirror with
// a broad filter, a narrowed filter, and cleanups through POST /v1/cleanups.
describe('cleanups through the REST API, on S3', () => {
  let upstream: FixtureUpstream;
  let harness: DistributedHarness;
  let api: RunningRole;
  let base: string;
  const auth = { authorization: `Bearer ${TOKEN}` };

  before(async () => {
    upstream = await startFixtureUpstream({ root: testRecipes });
    harness = await DistributedHarness.create('e2e-clean');
    ({ api, base } = await harness.startApi({ token: TOKEN, upstreamUrl: upstream.url }));
    await harness.startWorkers(1);
  });

  after(async () => {
    assert.equal(await api.stop(), 0, 'the API stops cleanly on SIGTERM');
    await harness.close();
    await upstream.close();
  });

  const yaml = (pkgList: string) =>
    `channels: [${upstream.channelUrl()}]\nplatforms: []\ndest_channel: recipes\nretries: 1\npkg_list: [${pkgList}]\n`;

  async function post(
    path: string,
    body: string,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/yaml' },
      body,
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  async function until<T extends { status: string }>(path: string, ended: string[]): Promise<T> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const view = (await (await fetch(`${base}${path}`, { headers: auth })).json()) as T;
      if (ended.includes(view.status)) return view;
      if (Date.now() > deadline) throw new Error(`${path} did not end: ${JSON.stringify(view)}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  async function sync(pkgList: string): Promise<void> {
    const { status, json } = await post('/v1/syncs', yaml(pkgList));
    assert.equal(status, 202);
    const view = await until<SyncView>(`/v1/syncs/${json['id']}`, [
      'succeeded',
      'partial',
      'failed',
      'cancelled',
    ]);
    assert.equal(view.status, 'succeeded', JSON.stringify(view));
  }

  async function cleanup(pkgList: string, dryRun: boolean): Promise<CleanupView> {
    const { status, json } = await post(`/v1/cleanups${dryRun ? '?dry_run=true' : ''}`, yaml(pkgList));
    assert.equal(status, 202, JSON.stringify(json));
    assert.equal(json['location'], `/v1/cleanups/${json['id']}`);
    const view = await until<CleanupView>(`/v1/cleanups/${json['id']}`, ['succeeded', 'failed']);
    assert.equal(view.status, 'succeeded', JSON.stringify(view));
    assert.equal(view.dryRun, dryRun);
    return view;
  }

  const packages = (files: CleanReportView['files']) =>
    files.filter((f) => f.kind === 'package').map((f) => [f.filename, f.size]);
  const condaKeys = async () =>
    (await harness.listKeys('recipes/noarch/')).filter((key) => key.endsWith('.conda')).sort();

  test('narrowed filter: a cleanup keeps what published repodata lists, a dry run lists, a cleanup deletes', async () => {
    await sync('dependency, versioned');
    assert.equal((await condaKeys()).length, 4);

    // The narrowed sync has not run: the published repodata still lists every file.
    const early = await cleanup('dependency', false);
    assert.deepEqual(early.report!.files, []);
    assert.deepEqual(packages(early.report!.keptListed), DROPPED);
    assert.equal((await condaKeys()).length, 4, 'nothing deleted');

    await sync('dependency');
    assert.equal((await condaKeys()).length, 4, 'the sync keeps them for the grace period');
    const dry = await cleanup('dependency', true);
    assert.deepEqual(packages(dry.report!.files), DROPPED);
    assert.equal(dry.report!.files.filter((f) => f.kind === 'shard').length, 1);
    assert.equal(
      dry.report!.bytes,
      dry.report!.files.reduce((n, f) => n + f.size, 0),
    );
    assert.equal((await condaKeys()).length, 4, 'a dry run deletes nothing');

    const done = await cleanup('dependency', false);
    assert.deepEqual(done.report!.files, dry.report!.files);
    assert.deepEqual(await condaKeys(), [
      'recipes/noarch/dependency-1.0-0.conda',
      'recipes/noarch/dependency-2.0-0.conda',
    ]);
    const published = JSON.parse((await harness.storedText('recipes/noarch/repodata.json'))!);
    for (const filename of Object.keys(published['packages.conda']))
      assert.ok(
        (await condaKeys()).includes(`recipes/noarch/${filename}`),
        `${filename} is listed and present`,
      );
    const shards = await harness.listKeys('recipes/noarch/shards/');
    assert.equal(shards.length, 1, 'only the shard the index references is left');
  });

  test('bad requests are refused by name', async () => {
    const bad = await post('/v1/cleanups?dry_run=maybe', yaml('dependency'));
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.json), /dry_run must be true or false, got \\"maybe\\"/);
    const invalid = await post('/v1/cleanups', 'channels: [x]\nplatfroms: []\n');
    assert.equal(invalid.status, 400);
    assert.match(JSON.stringify(invalid.json), /platfroms/);
    const missing = await fetch(`${base}/v1/cleanups/cln-000000000-0000000000`, { headers: auth });
    assert.equal(missing.status, 404);
    const anonymous = await fetch(`${base}/v1/cleanups/cln-000000000-0000000000`);
    assert.equal(anonymous.status, 401);
  });
});
