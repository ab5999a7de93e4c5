import assert from 'node:assert/strict';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FsObjectStore, type ObjectStore } from '@condasync/storage';
import { type FixtureUpstream, startFixtureUpstream } from '../../../../test/support/fixture-upstream.ts';
import { createTestBucket, testS3Store } from '../../../../test/support/s3-bucket.ts';
import { installerKey, readInstallerListing } from '../../src/installers/installer-layout.ts';
import type { InstallerDirReport } from '../../src/installers/installers-step.ts';
import { silentLogger } from '../../src/logger.ts';
import { cleanStep } from '../../src/steps/clean-step.ts';
import { UpstreamHttp } from '../../src/upstream/http-client.ts';
import { scratch, sha256File, syncInto, testConfig, testRecipes } from '../sync-helpers.ts';

const fixtures = join(import.meta.dirname, '../fixtures/installers');
const ARCHIVE = ['Anaconda3-2024.10-1-Linux-x86_64.sh', 'Anaconda3-2024.10-1-Windows-x86_64.exe'];
const MINICONDA = ['Miniconda3-latest-Linux-x86_64.sh', 'Miniconda3-py312_24.9.2-0-Linux-x86_64.sh'];
const HOUR = 3_600_000;

interface Upstream {
  server: FixtureUpstream;
  root: string;
}

/** Anaconda's layout on loopback: `<remote_url>/archive/` and `/miniconda/`, index pages and files. */
async function startUpstream(dir: string): Promise<Upstream> {
  const root = join(dir, 'upstream');
  await cp(fixtures, root, { recursive: true });
  return { server: await startFixtureUpstream({ root }), root };
}

function installerConfig(remoteUrl: string, mirror: string, extra: Record<string, unknown> = {}) {
  return testConfig({
    channels: [`file://${testRecipes}`],
    platforms: [],
    pkg_list: ['dependency'],
    mirror_dir: mirror,
    remote_url: remoteUrl,
    fetch_installers: true,
    dir_names: ['archive', 'miniconda'],
    ...extra,
  });
}

const dirReport = (report: Awaited<ReturnType<typeof syncInto>>, dir: string): InstallerDirReport => {
  const found = report.installers?.dirs.find((d) => d.dir === dir);
  assert.ok(found, `the report has installer folder ${dir}`);
  return found;
};

const installerGets = (upstream: Upstream) =>
  [...ARCHIVE.map((f) => `archive/${f}`), ...MINICONDA.map((f) => `miniconda/${f}`)].reduce(
    (sum, path) => sum + upstream.server.requests.count(path),
    0,
  );

describe('installers step (fetch_installers)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await scratch('installers'));
  });
  after(async () => cleanup());

  test('mirrors every verifiable installer beside the packages, re-runs fetch nothing, and a dry run lists without writing', async () => {
    const upstream = await startUpstream(join(dir, 'a'));
    const mirror = join(dir, 'a', 'mirror');
    try {
      const config = installerConfig(upstream.server.url, mirror);
      const dry = await syncInto(mirror, join(dir, 'a', 'work'), config, { dryRun: true });
      assert.deepEqual(
        dirReport(dry, 'archive').toDownload?.map((f) => f.filename),
        ARCHIVE,
      );
      assert.equal(installerGets(upstream), 0, 'a dry run reads the pages only');

      const report = await syncInto(mirror, join(dir, 'a', 'work'), config);
      assert.equal(report.status, 'succeeded');
      const archive = dirReport(report, 'archive');
      assert.equal(archive.listed, 2);
      assert.equal(archive.downloaded, 2);
      assert.deepEqual(
        archive.skipped.map((s) => s.filename),
        ['Anaconda3-2.5.0-Linux-x86_64.sh'],
        'the row without a sha256 is reported, not mirrored',
      );
      assert.equal(dirReport(report, 'miniconda').downloaded, 2);
      for (const [folder, files] of [
        ['archive', ARCHIVE],
        ['miniconda', MINICONDA],
      ] as const) {
        assert.deepEqual((await readdir(join(mirror, 'downloads', folder))).sort(), [...files].sort());
        for (const file of files) {
          assert.equal(
            await sha256File(join(mirror, 'downloads', folder, file)),
            await sha256File(join(fixtures, folder, file)),
          );
        }
      }
      assert.ok(report.subdirs.find((s) => s.subdir === 'noarch')!.published > 0, 'packages mirrored too');
      const listing = await listingOf(mirror, 'miniconda');
      assert.deepEqual(
        listing?.files.map((f) => [f.filename, f.size]),
        [
          [MINICONDA[0], 2250],
          [MINICONDA[1], 2658],
        ],
      );

      upstream.server.resetCounts();
      const again = await syncInto(mirror, join(dir, 'a', 'work'), config);
      assert.equal(installerGets(upstream), 0, 'stored and verified installers are not fetched again');
      assert.equal(dirReport(again, 'archive').present, 2);
      assert.equal(dirReport(again, 'archive').downloaded, 0);
    } finally {
      await upstream.server.close();
    }
  });

  test('a tampered installer (sha256 not the page’s) is refused: nothing stored, not listed, the error names the file', async () => {
    const upstream = await startUpstream(join(dir, 'b'));
    const mirror = join(dir, 'b', 'mirror');
    try {
      upstream.server.setFault(`archive/${ARCHIVE[0]}`, { type: 'corrupt' });
      const report = await syncInto(
        mirror,
        join(dir, 'b', 'work'),
        installerConfig(upstream.server.url, mirror),
      );
      assert.equal(report.status, 'partial');
      const archive = dirReport(report, 'archive');
      assert.equal(archive.downloaded, 1);
      assert.equal(archive.failed.length, 1);
      assert.equal(archive.failed[0]!.filename, ARCHIVE[0]);
      assert.equal(archive.failed[0]!.code, 'CHECKSUM_MISMATCH');
      assert.match(
        archive.failed[0]!.reason,
        new RegExp(`archive/${ARCHIVE[0]!.replaceAll('.', '\\.')}: sha256`),
      );
      assert.equal(
        upstream.server.requests.count(`archive/${ARCHIVE[0]}`),
        2,
        'the same mismatch twice ends it',
      );
      assert.deepEqual(await readdir(join(mirror, 'downloads', 'archive')), [ARCHIVE[1]]);
      const leftovers = await readdir(join(mirror, '.condasync', 'fs-store', 'tmp')).catch(() => []);
      assert.deepEqual(leftovers, [], 'no temp file left behind');
      const listing = await listingOf(mirror, 'archive');
      assert.deepEqual(
        listing?.files.map((f) => f.filename),
        [ARCHIVE[1]],
        'listed means present and verified',
      );
    } finally {
      await upstream.server.close();
    }
  });

  test('an installer upstream removed waits out the grace period, then goes; clean frees it at once', async () => {
    const upstream = await startUpstream(join(dir, 'c'));
    const mirror = join(dir, 'c', 'mirror');
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const now = () => clock;
    try {
      const config = installerConfig(upstream.server.url, mirror, { grace_period_hours: 24 });
      await syncInto(mirror, join(dir, 'c', 'work'), config, { now });
      const indexPath = join(upstream.root, 'miniconda', 'index.html');
      const page = await readFile(indexPath, 'utf8');
      const withoutLatest = page.replace(/<tr>\s*<td><a href="Miniconda3-latest[\s\S]*?<\/tr>/, '');
      assert.notEqual(withoutLatest, page);
      await writeFile(indexPath, withoutLatest);

      const dropped = await syncInto(mirror, join(dir, 'c', 'work'), config, { now });
      const miniconda = dirReport(dropped, 'miniconda');
      assert.deepEqual(miniconda.toRemove, [{ filename: MINICONDA[0], size: 2250 }]);
      assert.equal(miniconda.pendingDeletion, 1);
      assert.equal(miniconda.deleted, 0);
      assert.deepEqual(
        (await readdir(join(mirror, 'downloads', 'miniconda'))).sort(),
        MINICONDA,
        'kept in grace',
      );
      assert.deepEqual(
        (await listingOf(mirror, 'miniconda'))?.files.map((f) => f.filename),
        [MINICONDA[1]],
        'the listing drops it at once',
      );

      // clean lists it with its size (a dry run deletes nothing), and dir_names dropping a folder
      // makes its installers unselected too.
      const narrowed = installerConfig(upstream.server.url, mirror, { dir_names: ['miniconda'] });
      const dry = await runClean(mirror, join(dir, 'c', 'work'), narrowed, true);
      assert.deepEqual(
        dry.files.filter((f) => f.kind === 'installer').map((f) => [f.subdir, f.filename, f.size]),
        [
          ['downloads/archive', ARCHIVE[0], 2802],
          ['downloads/archive', ARCHIVE[1], 2025],
          ['downloads/miniconda', MINICONDA[0], 2250],
        ],
      );
      assert.equal((await readdir(join(mirror, 'downloads', 'miniconda'))).length, 2, 'dry run');

      clock += 25 * HOUR;
      const later = await syncInto(mirror, join(dir, 'c', 'work'), config, { now });
      assert.equal(dirReport(later, 'miniconda').deleted, 1);
      assert.deepEqual(await readdir(join(mirror, 'downloads', 'miniconda')), [MINICONDA[1]]);

      const cleaned = await runClean(mirror, join(dir, 'c', 'work'), narrowed, false);
      assert.deepEqual(
        cleaned.files.filter((f) => f.kind === 'installer').map((f) => f.filename),
        ARCHIVE,
      );
      assert.deepEqual(await readdir(join(mirror, 'downloads', 'archive')).catch(() => []), []);
      assert.equal(await listingOf(mirror, 'archive'), null, 'no listing of a dropped folder');
    } finally {
      await upstream.server.close();
    }
  });

  test('an unreadable folder page fails that folder only, and deletes nothing', async () => {
    const upstream = await startUpstream(join(dir, 'd'));
    const mirror = join(dir, 'd', 'mirror');
    try {
      const config = installerConfig(upstream.server.url, mirror);
      await syncInto(mirror, join(dir, 'd', 'work'), config);
      await writeFile(join(upstream.root, 'archive', 'index.html'), '<html><body>Maintenance</body></html>');
      const report = await syncInto(mirror, join(dir, 'd', 'work'), config, {
        now: () => Date.now() + 1000 * HOUR,
      });
      assert.equal(report.status, 'partial');
      assert.match(dirReport(report, 'archive').error?.reason ?? '', /has no table of installers/);
      assert.equal(dirReport(report, 'miniconda').present, 2);
      assert.deepEqual((await readdir(join(mirror, 'downloads', 'archive'))).sort(), ARCHIVE);
    } finally {
      await upstream.server.close();
    }
  });

  test('an upstream that streams without Content-Length: spooled, checked against the page, then stored', async () => {
    const mirror = join(dir, 'f', 'mirror');
    // Chunked transfer encoding, as some proxies and CDNs answer: the size is known only at the end.
    const server = createServer((request, response) => {
      const relPath = decodeURIComponent(request.url ?? '/').replace(/^\/+/, '');
      const file = relPath.endsWith('/') ? `${relPath}index.html` : relPath;
      readFile(join(fixtures, file)).then(
        (bytes) => {
          response.writeHead(200);
          const tampered = file.endsWith(MINICONDA[0]!) ? Buffer.concat([bytes, Buffer.from('#')]) : bytes;
          response.write(tampered.subarray(0, 100));
          response.end(tampered.subarray(100));
        },
        () => response.writeHead(404).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const report = await syncInto(
        mirror,
        join(dir, 'f', 'work'),
        installerConfig(url, mirror, { dir_names: ['miniconda'] }),
      );
      const miniconda = dirReport(report, 'miniconda');
      assert.equal(miniconda.downloaded, 1);
      assert.deepEqual(
        miniconda.failed.map((f) => [f.filename, f.code]),
        [[MINICONDA[0], 'SIZE_MISMATCH']],
        'one byte more than the exact size the page lists',
      );
      assert.equal(
        await sha256File(join(mirror, 'downloads', 'miniconda', MINICONDA[1]!)),
        await sha256File(join(fixtures, 'miniconda', MINICONDA[1]!)),
      );
      assert.deepEqual(await readdir(join(mirror, 'downloads', 'miniconda')), [MINICONDA[1]]);
      assert.deepEqual(await readdir(join(dir, 'f', 'work', 'tmp')), [], 'no scratch file left');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('into S3: stored with the page’s sha256 (the store checks it), and not fetched again', async () => {
    const upstream = await startUpstream(join(dir, 'e'));
    const { bucket } = await createTestBucket('installers');
    const openStore = (): ObjectStore => testS3Store(bucket);
    try {
      const config = installerConfig(upstream.server.url, join(dir, 'e', 'unused'));
      const report = await syncInto(join(dir, 'e', 'unused'), join(dir, 'e', 'work'), config, {
        store: openStore(),
      });
      assert.equal(dirReport(report, 'miniconda').downloaded, 2);
      const store = openStore();
      try {
        const info = await store.head(installerKey('miniconda', MINICONDA[1]!));
        assert.equal(info?.size, 2658);
        assert.equal(info?.sha256, await sha256File(join(fixtures, 'miniconda', MINICONDA[1]!)));
      } finally {
        await store.close();
      }
      upstream.server.resetCounts();
      const again = await syncInto(join(dir, 'e', 'unused'), join(dir, 'e', 'work'), config, {
        store: openStore(),
      });
      assert.equal(installerGets(upstream), 0);
      assert.equal(dirReport(again, 'archive').present, 2);
    } finally {
      await upstream.server.close();
    }
  });
});

/** The folder's listing as the installers step left it in the mirror folder. */
async function listingOf(mirror: string, dir: string) {
  const store = new FsObjectStore({ root: mirror });
  try {
    return await readInstallerListing(store, dir);
  } finally {
    await store.close();
  }
}

async function runClean(
  mirror: string,
  workDir: string,
  config: ReturnType<typeof testConfig>,
  dryRun: boolean,
) {
  const store = new FsObjectStore({ root: mirror });
  const http = new UpstreamHttp({ headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 });
  try {
    return await cleanStep(
      { config, store, channelPrefix: '', http, workDir, logger: silentLogger },
      { dryRun },
    );
  } finally {
    await http.close();
    await store.close();
  }
}
