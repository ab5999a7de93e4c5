import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DistributedHarness } from '../support/distributed-harness.ts';
import { type FixtureUpstream, startFixtureUpstream } from '../support/fixture-upstream.ts';

const testRecipes = join(import.meta.dirname, '../fixtures/conda-test-data/conda/tests/data/test-recipes');
const BROKEN = 'dependency-1.0-0.conda';

// Three real worker processes, a real Redis, a real S3 server and a loopback upstream: the
// distributed engine end to end, with the sync submitted the way the API submits it.
describe('distributed mode: three worker processes into S3', () => {
  let upstream: FixtureUpstream;
  let harness: DistributedHarness;
  /** Packages the syncs of this suite downloaded, by their own reports; the metrics must agree. */
  let downloadedBySyncs = 0;

  before(async () => {
    upstream = await startFixtureUpstream({ root: testRecipes });
    upstream.setFault(`noarch/${BROKEN}`, { type: 'status', status: 404 });
    harness = await DistributedHarness.create('e2e-workers');
    await harness.startWorkers(3);
  });

  after(async () => {
    assert.deepEqual(await harness.close(), [0, 0, 0], 'workers stop cleanly on SIGTERM');
    await upstream.close();
  });

  test('a sync ends partial, names the failed package, and publishes every other record verbatim', async () => {
    const id = await harness.submit({
      channels: [upstream.channelUrl()],
      platforms: ['linux-64'],
      dest_channel: 'recipes',
    });
    const view = await harness.waitForEnd(id);
    assert.equal(view.status, 'partial', JSON.stringify(view));
    assert.deepEqual(
      view.failures.map((f) => [f.subdir, f.filename]),
      [['noarch', BROKEN]],
    );
    assert.match(view.failures[0]!.reason, /HTTP 404/);
    assert.equal(view.counts.downloaded, 31);
    downloadedBySyncs += view.counts.downloaded;
    assert.equal(view.counts.failed, 1);
    assert.deepEqual(view.subdirs.map((s) => [s.subdir, s.status, s.published]).sort(), [
      ['linux-64', 'published', 0],
      ['noarch', 'published', 31],
    ]);

    const upstreamRepodata = JSON.parse(await readFile(join(testRecipes, 'noarch', 'repodata.json'), 'utf8'));
    const published = JSON.parse((await harness.storedText('recipes/noarch/repodata.json'))!);
    const expected = { ...upstreamRepodata['packages.conda'] };
    delete expected[BROKEN];
    assert.deepEqual(published['packages.conda'], expected);
    for (const [filename, record] of Object.entries(
      published['packages.conda'] as Record<string, { sha256: string }>,
    )) {
      assert.equal(await harness.storedSha256(`recipes/noarch/${filename}`), record.sha256, filename);
    }
    assert.equal(
      await harness.store.head(`recipes/noarch/${BROKEN}`),
      null,
      'the failed package is not in the store',
    );
    assert.ok(await harness.store.head('recipes/linux-64/repodata.json'), 'empty subdirs are published too');
    assert.deepEqual(await harness.listKeys('.condasync/staging/'), [], 'staging is dropped after the sync');
  });

  test('a second identical sync downloads nothing', async () => {
    upstream.resetCounts();
    const id = await harness.submit({
      channels: [upstream.channelUrl()],
      platforms: ['linux-64'],
      dest_channel: 'recipes',
    });
    const view = await harness.waitForEnd(id);
    assert.equal(view.counts.downloaded, 0);
    assert.equal(view.counts.skipped, 31);
    const packageRequests = [...upstream.requests.byPath.keys()].filter(
      (p) => p.endsWith('.conda') && !p.endsWith(BROKEN),
    );
    assert.deepEqual(packageRequests, []);
  });

  test('two concurrent syncs of one channel never interleave: the second waits for the first', async () => {
    const base = { channels: [upstream.channelUrl()], platforms: [], dest_channel: 'serial' };
    const first = await harness.submit({ ...base, pkg_list: ['dependent', 'dependency'] });
    const second = await harness.submit({ ...base, pkg_list: ['versioned'] });
    const [a, b] = await Promise.all([harness.waitForEnd(first), harness.waitForEnd(second)]);
    downloadedBySyncs += a.counts.downloaded + b.counts.downloaded;
    const [earlier, later] = Date.parse(a.startedAt!) <= Date.parse(b.startedAt!) ? [a, b] : [b, a];
    assert.ok(
      Date.parse(later.startedAt!) >= Date.parse(earlier.finishedAt!),
      'planning started only after the other sync ended',
    );
    const published = JSON.parse((await harness.storedText('serial/noarch/repodata.json'))!);
    const expected =
      later.id === second
        ? ['versioned-1.0-0.conda', 'versioned-2.0-0.conda']
        : ['dependency-2.0-0.conda', 'dependent-1.0-0.conda', 'dependent-2.0-0.conda'];
    assert.deepEqual(
      Object.keys(published['packages.conda']).sort(),
      expected,
      'the later sync published last',
    );
  });

  test('the workers expose metrics that moved', async () => {
    let downloaded = 0;
    for (const worker of harness.workers) {
      const port = Number(/"metricsPort":(\d+)/.exec(worker.output())?.[1]);
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(text, /condasync_queue_jobs\{/);
      assert.match(text, /condasync_storage_operation_duration_seconds_bucket/);
      assert.match(text, /condasync_upstream_requests_total\{outcome="2xx"\}/);
      for (const match of text.matchAll(
        /condasync_packages_total\{[^}]*outcome="downloaded"[^}]*\} (\d+)/g,
      )) {
        downloaded += Number(match[1]);
      }
    }
    assert.equal(downloaded, downloadedBySyncs, 'package downloads counted across the three workers');
  });
});
