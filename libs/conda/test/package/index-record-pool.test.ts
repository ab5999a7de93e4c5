import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compressBzip2Sync } from '@condasync/codecs';
import {
  json,
  SAMPLE_FILENAME_STEM,
  SAMPLE_INDEX,
  tarArchive,
} from '../../../../test/support/archive-builders.ts';
import { CondaError, CondaErrorCode } from '../../src/errors.ts';
import {
  buildIndexRecord,
  buildIndexRecordFromFile,
  IndexRecordPool,
  readArchiveInfo,
  recordFromIndexJson,
} from '../../src/package/index.ts';
import { fixtureArchives, fixturePath } from './fixtures.ts';

/**
 * What the archive readers gave for every fixture archive before they stopped at the end of
 * info/ and before records were built on worker threads (main at 93f43ea, 2026-12-03): the record
 * as JSON text, and a digest of about.json, run_exports.json and the paths.json size.
 */
const GOLDEN = JSON.parse(
  readFileSync(path.join(import.meta.dirname, 'archive-readings.golden.json'), 'utf8'),
) as Record<string, { record: string; infoSha256: string }>;

function basename(file: string): string {
  return file.split('/').at(-1)!;
}

/** A record as JSON text, or the error's code and message: what the import keeps of an outcome. */
async function outcome(build: () => Promise<{ record: unknown }>): Promise<string> {
  try {
    return JSON.stringify((await build()).record);
  } catch (error) {
    return `error ${(error as CondaError).code}: ${(error as Error).message}`;
  }
}

describe('archive readers give the records and info they gave before', () => {
  test('every fixture archive: the same record bytes and info files as before', async () => {
    const archives = fixtureArchives();
    assert.deepEqual(archives, Object.keys(GOLDEN));
    for (const file of archives) {
      const info = await readArchiveInfo(basename(file), createReadStream(fixturePath(file)));
      const { indexJson, aboutJson, runExports, pathsJsonSize, md5, sha256, size } = info;
      assert.equal(
        JSON.stringify(recordFromIndexJson(indexJson, { md5, sha256, size })),
        GOLDEN[file]!.record,
        file,
      );
      const infoSha256 = createHash('sha256')
        .update(JSON.stringify({ aboutJson, runExports, pathsJsonSize }))
        .digest('hex');
      assert.equal(
        infoSha256,
        GOLDEN[file]!.infoSha256,
        `${file}: about.json, run_exports.json or paths.json differ`,
      );
    }
  });
});

describe('a .tar.bz2 is decompressed only to the end of info/', () => {
  // index.json, then 600 KB of payload (six 100 kB bzip2 blocks at level 1) whose last blocks are
  // corrupt: reading stops at the payload's first member, and the rest is only hashed.
  const payload = randomBytes(600_000);
  const good = compressBzip2Sync(
    tarArchive([
      { name: 'info/index.json', body: json(SAMPLE_INDEX) },
      { name: 'info/about.json', body: json({ summary: 'sample' }) },
      { name: 'lib/payload.bin', body: payload },
    ]),
    { level: 1 },
  );
  const corrupt = Buffer.from(good);
  corrupt.fill(0x55, corrupt.length - 200_000, corrupt.length - 10);

  test('without run_exports.json or paths.json, the payload after info/ is not decompressed', async () => {
    const info = await readArchiveInfo(`${SAMPLE_FILENAME_STEM}.tar.bz2`, corrupt);
    assert.deepEqual(info.indexJson, SAMPLE_INDEX);
    assert.deepEqual(info.aboutJson, { summary: 'sample' });
    assert.equal(info.size, corrupt.length);
    assert.equal(info.sha256, createHash('sha256').update(corrupt).digest('hex'));
  });

  test('an archive whose info/ is corrupt is still refused', async () => {
    const early = Buffer.from(good);
    early.fill(0x55, 20, 60);
    await assert.rejects(readArchiveInfo(`${SAMPLE_FILENAME_STEM}.tar.bz2`, early), {
      code: CondaErrorCode.InvalidRecord,
    });
  });
});

describe('IndexRecordPool', () => {
  let pool: IndexRecordPool;
  let scratch: string;
  before(async () => {
    pool = new IndexRecordPool(2);
    scratch = await mkdtemp(path.join(tmpdir(), 'condasync-index-pool-'));
  });
  after(async () => {
    await pool.close();
    await rm(scratch, { recursive: true, force: true });
  });

  test('builds, on worker threads, exactly what buildIndexRecord builds from a stream in this thread', async () => {
    for (const file of fixtureArchives()) {
      const filename = basename(file);
      const subdir = (JSON.parse(GOLDEN[file]!.record) as { subdir?: string }).subdir ?? 'noarch';
      const expected = await outcome(() =>
        buildIndexRecord(filename, createReadStream(fixturePath(file)), subdir),
      );
      assert.equal(await outcome(() => pool.build(fixturePath(file), filename, subdir)), expected, file);
      assert.equal(
        await outcome(() => buildIndexRecordFromFile(fixturePath(file), filename, subdir)),
        expected,
        file,
      );
    }
  });

  test('many archives at once come back each with its own record', async () => {
    const archives = fixtureArchives().filter((file) => JSON.parse(GOLDEN[file]!.record).subdir === 'noarch');
    assert.ok(archives.length >= 10, `${archives.length} noarch fixtures`);
    const built = await Promise.all(
      archives.map((file) => pool.build(fixturePath(file), basename(file), 'noarch')),
    );
    assert.deepEqual(
      built.map((record) => [record.filename, JSON.stringify(record.record)]),
      archives.map((file) => [basename(file), GOLDEN[file]!.record]),
    );
  });

  test('a corrupt archive fails with the CondaError naming it; a missing file with the fs error', async () => {
    const file = fixtureArchives().find((candidate) => candidate.endsWith('.tar.bz2'))!;
    const bytes = readFileSync(fixturePath(file));
    const truncated = path.join(scratch, basename(file));
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await assert.rejects(pool.build(truncated, basename(file), 'noarch'), (error: unknown) => {
      assert.ok(error instanceof CondaError);
      assert.equal(error.code, CondaErrorCode.InvalidRecord);
      assert.match(
        error.message,
        new RegExp(`^package archive "${basename(file).replaceAll('.', '\\.')}": `),
      );
      return true;
    });
    await assert.rejects(
      pool.build(path.join(scratch, 'absent-1.0-0.conda'), 'absent-1.0-0.conda', 'noarch'),
      {
        code: 'ENOENT',
      },
    );
  });

  test('refuses a thread count that is not a whole number ≥ 1', () => {
    assert.throws(() => new IndexRecordPool(0), /whole number of threads ≥ 1, got 0/);
  });
});
