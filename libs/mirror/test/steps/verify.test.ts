import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { FsObjectStore } from '@condasync/storage';
import { silentLogger } from '../../src/logger.ts';
import { verifyStep } from '../../src/steps/verify.ts';
import { checkStoredFile } from '../../src/steps/verify-stored.ts';
import { UpstreamHttp } from '../../src/upstream/http-client.ts';
import { copyChannel, scratch, syncInto, testConfig, testRecipes } from '../sync-helpers.ts';

const victim = 'noarch/dependency-2.0-0.conda';

async function flipByte(path: string): Promise<void> {
  const bytes = await readFile(path);
  bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 0xff;
  await writeFile(path, bytes);
}

test('verify_checksum re-hashes stored files in the plan: a flipped byte is downloaded again', async () => {
  const { dir, cleanup } = await scratch('verify-checksum');
  try {
    const mirror = join(dir, 'mirror');
    const work = join(dir, 'work');
    const channels = [`file://${testRecipes}`];
    await syncInto(mirror, work, testConfig({ channels, platforms: [] }));
    const good = await readFile(join(mirror, victim));
    await flipByte(join(mirror, victim));

    const plain = await syncInto(mirror, work, testConfig({ channels, platforms: [] }));
    assert.equal(plain.subdirs[0]?.downloaded, 0, 'without verify_checksum the stored size is trusted');
    assert.notDeepEqual(await readFile(join(mirror, victim)), good);

    const checked = await syncInto(
      mirror,
      work,
      testConfig({ channels, platforms: [], verify_checksum: true }),
    );
    assert.equal(checked.status, 'succeeded');
    assert.equal(checked.subdirs[0]?.downloaded, 1);
    assert.deepEqual(await readFile(join(mirror, victim)), good);
  } finally {
    await cleanup();
  }
});

test('checkStoredFile compares size, then sha256, or md5 when the record has no sha256', async () => {
  const { dir, cleanup } = await scratch('verify-stored');
  const store = new FsObjectStore({ root: dir });
  try {
    const bytes = Buffer.from('some package bytes');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const md5 = createHash('md5').update(bytes).digest('hex');
    await store.put('a/x-1-0.conda', bytes, { size: bytes.length, sha256 });
    const check = (expected: Parameters<typeof checkStoredFile>[2]) =>
      checkStoredFile(store, 'a/x-1-0.conda', expected);
    assert.deepEqual(await check({ size: bytes.length, sha256 }), { status: 'ok' });
    assert.deepEqual(await check({ size: bytes.length, md5 }), { status: 'ok' });
    assert.equal((await check({ size: bytes.length, md5: '0'.repeat(32) })).status, 'mismatch');
    assert.equal((await check({ size: bytes.length, sha256: '0'.repeat(64) })).status, 'mismatch');
    assert.match(
      ((await check({ size: bytes.length + 1, sha256 })) as { reason: string }).reason,
      /18 bytes stored, 19 listed/,
    );
    assert.deepEqual(await checkStoredFile(store, 'a/absent-1-0.conda', { size: 1 }), { status: 'missing' });
  } finally {
    await store.close();
    await cleanup();
  }
});

test('verify --repair tries the channels in order and takes the first whose bytes verify', async () => {
  const { dir, cleanup } = await scratch('verify-repair');
  try {
    const mirror = join(dir, 'mirror');
    const work = join(dir, 'work');
    await syncInto(mirror, work, testConfig({ channels: [`file://${testRecipes}`], platforms: [] }));
    // The first channel lacks the file; the second has it.
    const partial = await copyChannel(testRecipes, dir);
    await rm(join(partial, victim));
    await rm(join(mirror, victim));
    const config = testConfig({ channels: [`file://${partial}`, `file://${testRecipes}`], platforms: [] });
    const store = new FsObjectStore({ root: mirror });
    const http = new UpstreamHttp({});
    const run = { config, store, channelPrefix: '', http, workDir: work, logger: silentLogger };
    try {
      const report = await verifyStep(run, { repair: true });
      assert.equal(report.status, 'repaired', JSON.stringify(report));
      assert.deepEqual(
        report.problems.map((p) => [p.status, p.filename, p.repaired]),
        [['missing', 'dependency-2.0-0.conda', true]],
      );
      assert.equal((await verifyStep(run)).status, 'clean');
      assert.deepEqual(
        report.subdirs.map((s) => [s.subdir, s.published]),
        [['noarch', true]],
      );
    } finally {
      await http.close();
      await store.close();
    }
  } finally {
    await cleanup();
  }
});
