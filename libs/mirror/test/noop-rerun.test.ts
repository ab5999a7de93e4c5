import assert from 'node:assert/strict';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import {
  FsObjectStore,
  type GetOptions,
  type GetResult,
  type ObjectInfo,
  type PutBody,
  type PutOptions,
} from '@condasync/storage';
import { type FixtureUpstream, startFixtureUpstream } from '../../../test/support/fixture-upstream.ts';
import type { SyncConfig } from '../src/config/index.ts';
import { copyChannel, scratch, syncInto, testConfig, testRecipes } from './sync-helpers.ts';

/** A real filesystem store that counts what it is asked to change. */
class CountingStore extends FsObjectStore {
  writes: string[] = [];
  reads: string[] = [];
  override get(key: string, options?: GetOptions): Promise<GetResult | null> {
    this.reads.push(key);
    return super.get(key, options);
  }
  override put(key: string, body: PutBody, options: PutOptions): Promise<ObjectInfo> {
    this.writes.push(`put ${key}`);
    return super.put(key, body, options);
  }
  override delete(key: string): Promise<void> {
    this.writes.push(`delete ${key}`);
    return super.delete(key);
  }
}

/** Rewrites one record of the upstream copy's noarch/repodata.json. */
async function editUpstreamRecord(channel: string, filename: string, change: Record<string, unknown>) {
  const path = join(channel, 'noarch/repodata.json');
  const repodata = JSON.parse(await readFile(path, 'utf8')) as { 'packages.conda': Record<string, object> };
  repodata['packages.conda'][filename] = { ...repodata['packages.conda'][filename], ...change };
  await writeFile(path, JSON.stringify(repodata));
}

// A re-run with nothing changed upstream (docs/design.md §9): no refetch of packages that failed
// for good on the same record, and no finalize when its inputs and outputs are as they were.
describe('a no-op re-run', () => {
  let upstream: FixtureUpstream;
  let dir: string;
  let cleanup: () => Promise<void>;
  let channel: string;
  let mirror: string;
  let work: string;

  before(async () => {
    ({ dir, cleanup } = await scratch('noop'));
    channel = await copyChannel(testRecipes, dir);
    upstream = await startFixtureUpstream({ root: channel });
  });
  after(async () => {
    await upstream.close();
    await cleanup();
  });
  beforeEach(async () => {
    mirror = join(dir, 'mirror');
    work = join(dir, 'work');
    upstream.clearFaults();
    await copyChannel(testRecipes, dir);
  });
  afterEach(async () => {
    await rm(mirror, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  const config = (extra: Record<string, unknown> = {}): SyncConfig =>
    testConfig({ channels: [upstream.channelUrl()], platforms: [], mirror_dir: mirror, ...extra });

  async function run(cfg = config(), extra: { reset?: boolean } = {}) {
    const store = new CountingStore({ root: mirror });
    const report = await syncInto(mirror, work, cfg, { store, ...extra });
    return { report, writes: store.writes, reads: store.reads };
  }

  describe('failure memory', () => {
    const notFound = 'noarch/dependency-1.0-0.conda';
    const corrupt = 'noarch/dependency-2.0-0.conda';
    const unavailable = 'noarch/versioned-1.0-0.conda';
    beforeEach(() => {
      upstream.setFault(notFound, { type: 'status', status: 404 });
      upstream.setFault(corrupt, { type: 'corrupt' });
      upstream.setFault(unavailable, { type: 'status', status: 503 });
    });
    const requested = (path: string): number => upstream.requests.count(path);
    const notRetried = (report: Awaited<ReturnType<typeof run>>['report']) =>
      report.failures.filter((f) => f.notRetried !== undefined).map((f) => `${f.subdir}/${f.filename}`);

    test('a package that failed for good on an unchanged record is reported, not fetched again', async () => {
      const first = await run();
      assert.deepEqual(first.report.failures.map((f) => `${f.subdir}/${f.filename}`).sort(), [
        notFound,
        corrupt,
        unavailable,
      ]);
      upstream.resetCounts();
      const second = await run();
      assert.equal(second.report.status, 'partial');
      assert.deepEqual(notRetried(second.report).sort(), [notFound, corrupt]);
      assert.equal(requested(notFound), 0);
      assert.equal(requested(corrupt), 0);
      // A transient failure is always tried again.
      assert.ok(requested(unavailable) > 0);
      assert.equal(second.report.subdirs[0]!.notRetried, 2);
      assert.equal(second.report.subdirs[0]!.failed, 3);
      const reason = second.report.failures.find((f) => `${f.subdir}/${f.filename}` === notFound)!.reason;
      assert.match(reason, /HTTP 404/);
    });

    test('a changed upstream record, or --reset, tries it again', async () => {
      await run();
      await editUpstreamRecord(channel, 'dependency-1.0-0.conda', { md5: '0'.repeat(32) });
      upstream.resetCounts();
      const changed = await run();
      assert.ok(requested(notFound) > 0);
      assert.deepEqual(notRetried(changed.report), [corrupt]);

      upstream.resetCounts();
      const reset = await run(config(), { reset: true });
      assert.deepEqual(notRetried(reset.report), []);
      assert.ok(requested(notFound) > 0);
      assert.ok(requested(corrupt) > 0);
    });

    test('a remembered failure is tried again after a day, and forgotten once it succeeds', async () => {
      await run();
      upstream.clearFaults();
      upstream.resetCounts();
      const nextDay = Date.now() + 25 * 3_600_000;
      const later = await syncInto(mirror, work, config(), { now: () => nextDay });
      assert.ok(requested(notFound) > 0);
      assert.equal(later.status, 'succeeded');
      const memory = await stat(join(mirror, '.condasync/state/noarch/failures.json')).catch(() => null);
      assert.equal(memory, null);
    });
  });

  describe('finalize', () => {
    test('unchanged inputs and outputs: the re-run writes nothing to the store', async () => {
      const first = await run();
      assert.ok(first.writes.some((w) => w.endsWith('noarch/repodata.json')));
      const second = await run();
      assert.deepEqual(second.writes, []);
      // The plan's repack check reads it; the channel step, left out, does not read it again.
      assert.equal(second.reads.filter((key) => key === 'noarch/repodata.json').length, 1);
      assert.equal(second.report.subdirs[0]!.published, first.report.subdirs[0]!.published);
      assert.equal(second.report.subdirs[0]!.repodataChanged, false);
    });

    test('an output option that changes republishes', async () => {
      await run();
      const second = await run(config({ current_repodata: true }));
      assert.ok(second.writes.includes('put noarch/current_repodata.json'), second.writes.join('\n'));
    });

    test('a record that changes upstream republishes', async () => {
      await run();
      await editUpstreamRecord(channel, 'dependency-1.0-0.conda', { license: 'MIT' });
      const second = await run();
      assert.ok(second.writes.includes('put noarch/repodata.json'), second.writes.join('\n'));
      assert.ok(second.writes.includes('put channeldata.json'), second.writes.join('\n'));
      const published = JSON.parse(await readFile(join(mirror, 'noarch/repodata.json'), 'utf8'));
      assert.equal(published['packages.conda']['dependency-1.0-0.conda'].license, 'MIT');
    });

    test('a channeldata.json that went missing is written again', async () => {
      await run();
      await rm(join(mirror, 'channeldata.json'));
      const second = await run();
      assert.deepEqual(
        second.writes.filter((w) => !w.includes('.condasync/')),
        ['put channeldata.json'],
      );
    });

    test('a published file that went missing is written again', async () => {
      await run();
      await rm(join(mirror, 'noarch/repodata.json.zst'));
      const second = await run();
      assert.ok(second.writes.includes('put noarch/repodata.json.zst'), second.writes.join('\n'));
    });

    test('--reset republishes whatever the inputs', async () => {
      await run();
      const second = await run(config(), { reset: true });
      assert.ok(
        second.writes.some((w) => w.includes('published-inputs.json')),
        second.writes.join('\n'),
      );
    });
  });
});
