import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FixtureUpstream, startFixtureUpstream } from '../../../test/support/fixture-upstream.ts';
import {
  allRecords,
  readJson,
  scratch,
  sha256File,
  syncInto,
  testConfig,
  testRecipes,
} from './sync-helpers.ts';

// One sync over a real channel with a different fault on each of several files: permanent faults
// end in a reported failure and an unpublished record, transient ones are retried to success.
describe('upstream faults during a local sync', () => {
  let upstream: FixtureUpstream;
  const permanent = {
    'noarch/dependency-1.0-0.conda': { fault: { type: 'status', status: 404 }, reason: /HTTP 404/ },
    'noarch/dependency-2.0-0.conda': { fault: { type: 'corrupt' }, reason: /sha256 does not match/ },
    'noarch/dependent-1.0-0.conda': {
      fault: { type: 'truncate', afterBytes: 100 },
      reason: /dependent-1\.0-0\.conda/,
    },
    'noarch/dependent-2.0-0.conda': { fault: { type: 'stall', afterBytes: 10 }, reason: /too slow|deadline/ },
    'noarch/versioned-1.0-0.conda': { fault: { type: 'status', status: 503 }, reason: /HTTP 503/ },
  } as const;
  const transient = {
    'noarch/versioned-2.0-0.conda': { type: 'rate-limit', retryAfterSeconds: 1, times: 1 },
    'noarch/clobber-a-1.0-0.conda': { type: 'status', status: 503, times: 2 },
    'noarch/clobber-b-1.0-0.conda': { type: 'corrupt', times: 1 },
    'noarch/track_feature-1.0-0.conda': { type: 'truncate', afterBytes: 50, times: 1 },
  } as const;

  before(async () => {
    upstream = await startFixtureUpstream({ root: testRecipes });
    for (const [path, { fault }] of Object.entries(permanent)) upstream.setFault(path, fault);
    for (const [path, fault] of Object.entries(transient)) upstream.setFault(path, fault);
  });
  after(() => upstream.close());

  test('failures are reported with reasons and never published; the rest is', async () => {
    const { dir, cleanup } = await scratch('faults');
    try {
      const mirror = join(dir, 'mirror');
      // 2 s deadline: the stalled download must end within the test's patience.
      const config = testConfig({
        channels: [upstream.channelUrl()],
        platforms: [],
        mirror_dir: mirror,
        download_timeout_seconds: 2,
        min_bytes_per_second: 1000,
      });
      const report = await syncInto(mirror, join(dir, 'work'), config);
      assert.equal(report.status, 'partial');
      const failed = new Map(report.failures.map((f) => [`${f.subdir}/${f.filename}`, f.reason]));
      assert.deepEqual([...failed.keys()].sort(), Object.keys(permanent).sort());
      for (const [path, { reason }] of Object.entries(permanent)) {
        assert.match(failed.get(path)!, reason, `${path}: reason`);
        await assert.rejects(
          stat(join(mirror, path)),
          { code: 'ENOENT' },
          `${path} must not be in the mirror`,
        );
      }

      const published = allRecords(await readJson(join(mirror, 'noarch', 'repodata.json')));
      for (const path of Object.keys(permanent))
        assert.equal(published[path.slice('noarch/'.length)], undefined);
      assert.equal(Object.keys(published).length, 32 - Object.keys(permanent).length);
      for (const path of Object.keys(transient)) {
        const name = path.slice('noarch/'.length);
        assert.ok(published[name], `${path} recovered after retries`);
        assert.equal(await sha256File(join(mirror, path)), published[name]!['sha256']);
        assert.ok(upstream.requests.count(path) >= 2, `${path} was retried`);
      }
      // A corrupt file is tried twice (a flaky proxy may corrupt once), not until the retries run out.
      assert.equal(upstream.requests.count('noarch/dependency-2.0-0.conda'), 2);
      // A 404 is permanent: asked once.
      assert.equal(upstream.requests.count('noarch/dependency-1.0-0.conda'), 1);
    } finally {
      await cleanup();
    }
  });
});
