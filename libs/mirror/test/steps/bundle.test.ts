import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { FsObjectStore } from '@condasync/storage';
import { type FixtureUpstream, startFixtureUpstream } from '../../../../test/support/fixture-upstream.ts';
import { createTestBucket, testS3Store } from '../../../../test/support/s3-bucket.ts';
import { MirrorError, MirrorErrorCode } from '../../src/errors.ts';
import { silentLogger } from '../../src/logger.ts';
import { bundleChunks, fullBundleManifest } from '../../src/steps/bundle-export.ts';
import { importBundle } from '../../src/steps/bundle-import.ts';
import { folderBundleEntries, tarBundleEntries } from '../../src/steps/bundle-source.ts';
import { scratch, syncInto, testConfig, testRecipes } from '../sync-helpers.ts';

/** Every file of a channel folder a client could fetch (not `.condasync/`), by path: its sha256. */
async function channelFiles(root: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name).slice(root.length + 1);
    if (path.startsWith('.')) continue;
    files[path] = createHash('sha256')
      .update(await readFile(join(root, path)))
      .digest('hex');
  }
  return files;
}

/** Offset of the tar header naming `path` (the name also occurs in the manifest and repodata). */
function memberHeader(tar: Buffer, path: string): number {
  for (let at = tar.indexOf(path); at !== -1; at = tar.indexOf(path, at + 1)) if (at % 512 === 0) return at;
  return -1;
}

async function exportTo(mirror: string, file: string): Promise<void> {
  const store = new FsObjectStore({ root: mirror });
  try {
    const manifest = await fullBundleManifest(store, '', 'test');
    await pipeline(Readable.from(bundleChunks(store, '', manifest)), createWriteStream(file));
  } finally {
    await store.close();
  }
}

async function importInto(destination: string, bundle: string) {
  const store = new FsObjectStore({ root: destination });
  try {
    return await importBundle(tarBundleEntries(createReadStream(bundle)), {
      store,
      channelPrefix: '',
      logger: silentLogger,
    });
  } finally {
    await store.close();
  }
}

async function refusal(promise: Promise<unknown>): Promise<MirrorError> {
  const error = await promise.then(
    () => assert.fail('the import should have been refused'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof MirrorError, String(error));
  return error;
}

describe('air-gap bundles', () => {
  let upstream: FixtureUpstream;
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    upstream = await startFixtureUpstream({ root: testRecipes });
    ({ dir, cleanup } = await scratch('bundle'));
  });
  after(async () => {
    await upstream.close();
    await cleanup();
  });
  const base = () => ({ channels: [upstream.channelUrl()], platforms: [], grace_period_hours: 0 });

  test('mirror → export → import elsewhere: identical repodata and files; unpacked folders work too', async () => {
    const mirror = join(dir, 'full-source');
    await syncInto(
      mirror,
      join(dir, 'work'),
      testConfig({ ...base(), mirror_dir: mirror, pkg_list: ['dependency', 'versioned'] }),
    );
    const bundle = join(dir, 'full.tar');
    await exportTo(mirror, bundle);

    const copy = join(dir, 'full-copy');
    const result = await importInto(copy, bundle);
    const source = await channelFiles(mirror);
    assert.ok(Object.keys(source).includes('noarch/repodata.json') && Object.keys(source).length > 4);
    assert.deepEqual(await channelFiles(copy), source);
    assert.equal(result.kind, 'full');
    assert.deepEqual(result.published.at(-1), 'channeldata.json', 'channeldata.json goes last');
    assert.ok(
      result.published.indexOf('noarch/repodata.json.zst') < result.published.indexOf('noarch/repodata.json'),
      'the compressed twin goes before repodata.json',
    );
    const staged = await readdir(join(copy, '.condasync', 'import'), { recursive: true }).catch(() => []);
    assert.deepEqual(staged, [], 'no staging left behind');

    // The same bundle unpacked by tar into a folder imports the same way.
    const unpacked = join(dir, 'unpacked');
    await mkdir(unpacked);
    execFileSync('tar', ['-xf', bundle, '-C', unpacked]);
    const fromFolder = join(dir, 'folder-copy');
    const store = new FsObjectStore({ root: fromFolder });
    try {
      await importBundle(folderBundleEntries(unpacked), { store, channelPrefix: '', logger: silentLogger });
    } finally {
      await store.close();
    }
    assert.deepEqual(await channelFiles(fromFolder), source);
  });

  test('a bundle with one flipped byte is refused, names the member, and publishes nothing', async () => {
    const mirror = join(dir, 'flip-source');
    await syncInto(
      mirror,
      join(dir, 'work'),
      testConfig({ ...base(), mirror_dir: mirror, pkg_list: ['dependency'] }),
    );
    const bundle = join(dir, 'flip.tar');
    await exportTo(mirror, bundle);
    const bytes = await readFile(bundle);
    const header = memberHeader(bytes, 'noarch/dependency-2.0-0.conda');
    assert.ok(header > 0, 'the member header is in the tar');
    bytes[header + 512 + 100]! ^= 0x01; // a byte inside the member's data
    await writeFile(bundle, bytes);

    const copy = join(dir, 'flip-copy');
    const error = await refusal(importInto(copy, bundle));
    assert.equal(error.code, MirrorErrorCode.BundleInvalid);
    assert.deepEqual(
      error.details.map((d) => d.path),
      ['noarch/dependency-2.0-0.conda'],
    );
    assert.match(error.message, /noarch\/dependency-2\.0-0\.conda does not match the manifest/);
    const left = await channelFiles(copy).catch(() => ({}));
    assert.ok(
      Object.keys(left).every((path) => /\.conda$|\/shards\//.test(path)),
      `only verified immutable packages and shards may be stored, no metadata: ${Object.keys(left).join(', ')}`,
    );
    assert.ok(!Object.keys(left).includes('noarch/dependency-2.0-0.conda'));
  });

  test('mirror → delta → import onto the old copy gives the new one; a delta on the wrong base is refused', async () => {
    const mirror = join(dir, 'delta-source');
    const deltas = join(dir, 'deltas');
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    await syncInto(
      mirror,
      join(dir, 'work'),
      testConfig({ ...base(), mirror_dir: mirror, pkg_list: ['dependency', 'versioned'] }),
      { now: () => t0 },
    );
    const full = join(dir, 'delta-full.tar');
    await exportTo(mirror, full);
    const copy = join(dir, 'delta-copy');
    await importInto(copy, full);
    const oldCopy = await channelFiles(copy);

    // The next night: versioned is dropped (deleted at once, grace 0), clobber-a is new.
    const deltaConfig = testConfig({
      ...base(),
      mirror_dir: mirror,
      pkg_list: ['dependency', 'clobber-a'],
      delta: true,
      delta_dir: deltas,
    });
    const report = await syncInto(mirror, join(dir, 'work'), deltaConfig, { now: () => t0 + 1000 });
    assert.equal(report.deltaBundle, join(deltas, 'condasync-delta-20260101T000001000Z.tar'));
    const delta = report.deltaBundle!;
    const source = await channelFiles(mirror);
    assert.notDeepEqual(source, oldCopy, 'the sync changed the channel');

    // On a copy that is not the delta's base (an empty one), nothing is written.
    const elsewhere = join(dir, 'wrong-base');
    const wrong = await refusal(importInto(elsewhere, delta));
    assert.equal(wrong.code, MirrorErrorCode.BundleBaseMismatch);
    assert.deepEqual(
      wrong.details.map((d) => d.path),
      ['noarch/repodata.json'],
    );
    assert.deepEqual(await channelFiles(elsewhere).catch(() => ({})), {});

    const result = await importInto(copy, delta);
    assert.equal(result.kind, 'delta');
    assert.ok(result.deleted >= 2, 'versioned-1.0 and -2.0 are deleted');
    assert.deepEqual(await channelFiles(copy), source);
    const deltaBytes = await readFile(delta);
    assert.equal(
      memberHeader(deltaBytes, 'noarch/dependency-1.0-0.conda'),
      -1,
      'unchanged packages are not in it',
    );
    assert.ok(memberHeader(deltaBytes, 'noarch/clobber-a-1.0-0.conda') > 0, 'new packages are');

    // Applied twice, the delta no longer matches its base.
    assert.equal((await refusal(importInto(copy, delta))).code, MirrorErrorCode.BundleBaseMismatch);

    // A run that changes nothing writes no delta.
    const again = await syncInto(mirror, join(dir, 'work'), deltaConfig, { now: () => t0 + 2000 });
    assert.equal(again.deltaBundle, null);
  });

  test('S3 storage under a dest_channel prefix: a bundle imports into it, and exports from it unchanged', async () => {
    const mirror = join(dir, 's3-source');
    await syncInto(
      mirror,
      join(dir, 'work'),
      testConfig({ ...base(), mirror_dir: mirror, pkg_list: ['dependency'] }),
    );
    const bundle = join(dir, 's3-in.tar');
    await exportTo(mirror, bundle);
    const s3 = testS3Store((await createTestBucket('bundle')).bucket);
    try {
      // Another channel in the same storage must not leak into the export.
      await s3.put('other/noarch/repodata.json', Buffer.from('{}'), {
        size: 2,
        sha256: createHash('sha256').update('{}').digest('hex'),
      });
      await importBundle(tarBundleEntries(createReadStream(bundle)), {
        store: s3,
        channelPrefix: 'air/',
        logger: silentLogger,
      });
      // S3 listings carry no sha256: the export takes it from each object's head.
      const manifest = await fullBundleManifest(s3, 'air/', 'air');
      const again = join(dir, 's3-out.tar');
      await pipeline(Readable.from(bundleChunks(s3, 'air/', manifest)), createWriteStream(again));
      const copy = join(dir, 's3-copy');
      await importInto(copy, again);
      assert.deepEqual(await channelFiles(copy), await channelFiles(mirror));
    } finally {
      await s3.close();
    }
  });
});
