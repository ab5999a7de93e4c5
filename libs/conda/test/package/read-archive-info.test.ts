import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { zstdCompressSync } from 'node:zlib';
import { compressBzip2Sync } from '@condasync/codecs';
import {
  chunkedSource,
  condaArchive,
  json,
  SAMPLE_FILENAME_STEM,
  SAMPLE_INDEX,
  type TarMember,
  tarArchive,
  tarBz2Archive,
  zipArchive,
} from '../../../../test/support/archive-builders.ts';
import { CondaError, CondaErrorCode } from '../../src/errors.ts';
import {
  type ArchiveInfo,
  type ArchiveReadOptions,
  DEFAULT_ARCHIVE_LIMITS,
  readArchiveInfo,
  readCondaArchiveInfo,
  readTarBz2ArchiveInfo,
} from '../../src/package/index.ts';
import { resolveArchiveLimits } from '../../src/package/types.ts';
import { fixtureArchives, fixturePath, readFixture } from './fixtures.ts';

const CONDA_NAME = `${SAMPLE_FILENAME_STEM}.conda`;
const TAR_BZ2_NAME = `${SAMPLE_FILENAME_STEM}.tar.bz2`;
const INDEX_MEMBER: TarMember = { name: 'info/index.json', body: json(SAMPLE_INDEX) };

/** The same info members, packed both ways: a hostile tar must be refused in either format. */
const FORMATS = [
  { name: '.conda', filename: CONDA_NAME, pack: (members: TarMember[]) => condaArchive(members) },
  { name: '.tar.bz2', filename: TAR_BZ2_NAME, pack: tarBz2Archive },
] as const;

async function rejection(
  filename: string,
  archive: Uint8Array,
  options: ArchiveReadOptions = {},
): Promise<CondaError> {
  try {
    await readArchiveInfo(filename, archive, options);
  } catch (error) {
    assert.ok(error instanceof CondaError, `expected a CondaError, got ${String(error)}`);
    return error;
  }
  return assert.fail(`reading ${filename} should have failed`);
}

function digests(bytes: Uint8Array) {
  return {
    md5: createHash('md5').update(bytes).digest('hex'),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: bytes.byteLength,
  };
}

function withoutDigests(info: ArchiveInfo): Omit<ArchiveInfo, 'md5' | 'sha256' | 'size'> {
  const { md5: _md5, sha256: _sha256, size: _size, ...rest } = info;
  return rest;
}

describe('reading the info files of every fixture package', () => {
  for (const file of fixtureArchives()) {
    test(file, async () => {
      const bytes = readFixture(file);
      const filename = path.basename(file);
      const fromBuffer = await readArchiveInfo(filename, bytes);
      const fromStream = await readArchiveInfo(
        filename,
        createReadStream(fixturePath(file), { highWaterMark: 997 }),
      );
      assert.deepEqual(fromStream, fromBuffer);
      assert.deepEqual(
        { md5: fromBuffer.md5, sha256: fromBuffer.sha256, size: fromBuffer.size },
        digests(bytes),
      );
      const { name, version, build } = fromBuffer.indexJson;
      assert.ok(
        filename.startsWith(`${name}-${version}-${build}.`),
        `${filename} vs ${name}-${version}-${build}`,
      );
    });
  }

  test('reads the info files conda-index reads, with their real contents', async () => {
    const zlib = await readArchiveInfo(
      'zlib-1.2.11-h7b6447c_3.tar.bz2',
      readFixture('conda/tests/data/conda_format_repo/linux-64/zlib-1.2.11-h7b6447c_3.tar.bz2'),
    );
    assert.deepEqual(zlib.runExports, { weak: ['zlib >=1.2.11,<1.3.0a0'] });
    assert.equal(zlib.aboutJson?.home, 'http://zlib.net/');
    assert.equal(zlib.pathsJsonSize, 1468);
    // nano (2015) predates about.json and paths.json; flask has about.json only.
    const nano = await readArchiveInfo(
      'nano-2.4.1-0.tar.bz2',
      readFixture('conda-index/tests/archives/nano-2.4.1-0.tar.bz2'),
    );
    assert.deepEqual(
      [nano.aboutJson, nano.runExports, nano.pathsJsonSize],
      [undefined, undefined, undefined],
    );
    assert.deepEqual(nano.indexJson.requires, ['ncurses 5.9', 'zlib 1.2.8']);
  });

  test('a .conda and its .tar.bz2 twin hold the same info files', async () => {
    const twins = fixtureArchives().filter(
      (file) => file.endsWith('.conda') && fixtureArchives().includes(file.replace(/\.conda$/, '.tar.bz2')),
    );
    assert.equal(twins.length, 10, twins.join(', '));
    for (const conda of twins) {
      const tarBz2 = conda.replace(/\.conda$/, '.tar.bz2');
      const fromConda = await readArchiveInfo(path.basename(conda), readFixture(conda));
      const fromTarBz2 = await readArchiveInfo(path.basename(tarBz2), readFixture(tarBz2));
      assert.deepEqual(withoutDigests(fromConda), withoutDigests(fromTarBz2), conda);
      assert.notEqual(fromConda.sha256, fromTarBz2.sha256);
    }
  });
});

describe('streaming a .tar.bz2', () => {
  const infoFirst: TarMember[] = [
    INDEX_MEMBER,
    { name: 'info/about.json', body: json({ summary: 's' }) },
    { name: 'info/run_exports.json', body: json({ weak: ['sample'] }) },
    { name: 'info/paths.json', body: json({ paths: [], paths_version: 1 }) },
    // Incompressible, so that the archive spans several 100 kB blocks and the info files sit in the first.
    { name: 'lib/payload.bin', body: randomBytes(300_000) },
  ];

  test('stops decoding once the info files are found, yet hashes every byte', async () => {
    const archive = Buffer.from(compressBzip2Sync(tarArchive(infoFirst), { level: 1 }));
    // Corrupt the end of the file: a reader that decoded the payload would fail its CRC check.
    archive[archive.length - 30]! ^= 0xff;
    const source = chunkedSource(archive, 333);
    const info = await readTarBz2ArchiveInfo(source, { filename: TAR_BZ2_NAME, maxInfoBytes: 64 * 1024 });
    assert.deepEqual(info.runExports, { weak: ['sample'] });
    assert.equal(info.pathsJsonSize, json({ paths: [], paths_version: 1 }).length);
    assert.deepEqual({ md5: info.md5, sha256: info.sha256, size: info.size }, digests(archive));
    assert.equal(source.closed, true);
  });

  test('reads info files that come after the payload, within maxInfoBytes', async () => {
    const payloadFirst = tarBz2Archive([infoFirst[4]!, ...infoFirst.slice(0, 2)]);
    const info = await readArchiveInfo(TAR_BZ2_NAME, payloadFirst);
    assert.equal(info.indexJson.name, 'sample');
    const error = await rejection(TAR_BZ2_NAME, payloadFirst, { maxInfoBytes: 100_000 });
    assert.equal(error.code, CondaErrorCode.LimitExceeded);
    assert.match(
      error.message,
      /^package archive "sample-1.0-h0_0.tar.bz2": tar data is larger than the 100000-byte limit/,
    );
  });

  test('stops a bzip2 bomb at maxInfoBytes', async () => {
    const bomb = tarBz2Archive([{ name: 'zeros', body: new Uint8Array(4_000_000) }, INDEX_MEMBER]);
    assert.ok(bomb.length < 10_000, `the bomb is ${bomb.length} bytes`);
    const error = await rejection(TAR_BZ2_NAME, bomb, { maxInfoBytes: 1024 * 1024 });
    assert.equal(error.code, CondaErrorCode.LimitExceeded);
  });

  test('refuses a truncated .tar.bz2 and closes the source', async () => {
    const archive = readFixture('conda-index/tests/archives/test_debug_pkg-1.0-0.tar.bz2');
    const source = chunkedSource(archive.subarray(0, 1500), 100);
    await assert.rejects(readTarBz2ArchiveInfo(source, { filename: 'test_debug_pkg-1.0-0.tar.bz2' }), {
      code: CondaErrorCode.InvalidRecord,
      message:
        'package archive "test_debug_pkg-1.0-0.tar.bz2": bzip2 data is truncated (it ends inside a block)',
    });
    assert.equal(source.closed, true);
  });
});

describe('reading a .conda', () => {
  test('takes info-<stem>.tar.zst by the filename, or the only info member without one', async () => {
    const archive = condaArchive([INDEX_MEMBER]);
    assert.equal((await readCondaArchiveInfo(archive)).indexJson.name, 'sample');
    const renamed = await rejection('other-1.0-0.conda', archive);
    assert.match(
      renamed.message,
      /has no member "info-other-1.0-0.tar.zst" \(members: metadata.json, pkg-sample/,
    );
  });

  test('refuses two info members when it cannot tell which one counts', async () => {
    const info = zstdCompressSync(tarArchive([INDEX_MEMBER]));
    const archive = zipArchive([
      { name: 'info-a-1-0.tar.zst', data: info },
      { name: 'info-b-1-0.tar.zst', data: info },
    ]);
    await assert.rejects(readCondaArchiveInfo(archive), {
      message: /expected one "info-\*.tar.zst" member, found 2/,
    });
  });

  test('stops a zstd bomb at maxInfoBytes', async () => {
    const bomb = condaArchive([{ name: 'info/zeros', body: new Uint8Array(32 * 1024 * 1024) }, INDEX_MEMBER]);
    assert.ok(bomb.length < 10_000, `the bomb is ${bomb.length} bytes`);
    const error = await rejection(CONDA_NAME, bomb, { maxInfoBytes: 1024 * 1024 });
    assert.equal(error.code, CondaErrorCode.LimitExceeded);
    assert.match(error.message, /: tar data is larger than the 1048576-byte limit$/);
  });

  test('refuses an info member whose size lies', async () => {
    const info = zstdCompressSync(tarArchive([INDEX_MEMBER]));
    const lying = zipArchive([
      { name: `info-${SAMPLE_FILENAME_STEM}.tar.zst`, data: info, claimedSize: info.length + 100 },
    ]);
    assert.match(
      (await rejection(CONDA_NAME, lying)).message,
      /runs past the end of the file|overlaps the central directory/,
    );
  });

  test('refuses a truncated .conda', async () => {
    const archive = readFixture('conda/tests/data/conda_format_repo/osx-64/zlib-1.2.11-h1de35cc_3.conda');
    const error = await rejection('zlib-1.2.11-h1de35cc_3.conda', archive.subarray(0, archive.length - 100));
    assert.match(error.message, /: not a valid zip: no end-of-central-directory record/);
  });

  test('buffers a streamed .conda only up to maxArchiveBytes', async () => {
    const archive = readFixture('conda/tests/data/conda_format_repo/osx-64/zlib-1.2.11-h1de35cc_3.conda');
    const source = chunkedSource(archive, 4096);
    await assert.rejects(readCondaArchiveInfo(source, { maxArchiveBytes: 50_000 }), {
      code: CondaErrorCode.LimitExceeded,
      message: 'package archive (.conda): is larger than the 50000-byte limit',
    });
    assert.equal(source.closed, true);
  });

  test('takes the default for a limit passed as undefined (a missing config value)', () => {
    assert.deepEqual(resolveArchiveLimits({ maxInfoBytes: undefined, maxEntries: 5 }), {
      ...DEFAULT_ARCHIVE_LIMITS,
      maxEntries: 5,
    });
  });

  test('refuses a source that yields strings', async () => {
    const strings = (async function* () {
      yield 'not bytes' as unknown as Uint8Array;
    })();
    await assert.rejects(readCondaArchiveInfo(strings), {
      message: /the source yielded a string, expected bytes/,
    });
  });
});

describe('hostile info folders, in both formats', () => {
  const cases: [string, TarMember[], RegExp][] = [
    [
      'a "../evil" member',
      [INDEX_MEMBER, { name: '../evil', body: 'x' }],
      /member "..\/evil" has a ".." segment/,
    ],
    [
      'an absolute member',
      [{ name: '/etc/cron.d/evil', body: 'x' }, INDEX_MEMBER],
      /member "\/etc\/cron.d\/evil" is an absolute path/,
    ],
    [
      'info/index.json as a symlink',
      [{ name: 'info/index.json', type: '2', linkName: '/etc/passwd' }],
      /member "info\/index.json" is a symlink \(to "\/etc\/passwd"\); links are not allowed in info\//,
    ],
    [
      'info/index.json as a hard link to a payload file',
      [
        { name: 'lib/x.json', body: json(SAMPLE_INDEX) },
        { name: 'info/index.json', type: '1', linkName: 'lib/x.json' },
      ],
      /member "info\/index.json" is a hardlink/,
    ],
    [
      'info itself as a symlink',
      [{ name: 'info', type: '2', linkName: '/etc' }, INDEX_MEMBER],
      /member "info" is a symlink/,
    ],
    [
      'info/index.json as a directory',
      [{ name: 'info/index.json/', type: '5' }],
      /member "info\/index.json" is a directory, expected a regular file/,
    ],
    [
      'index.json twice',
      [INDEX_MEMBER, { name: './info/index.json', body: json({ ...SAMPLE_INDEX, depends: [] }) }],
      /member "info\/index.json" appears twice/,
    ],
    ['no index.json', [{ name: 'info/about.json', body: '{}' }], /has no "info\/index.json"/],
    [
      'index.json that is not JSON',
      [{ name: 'info/index.json', body: '{"name": ' }],
      /"info\/index.json" is not valid JSON/,
    ],
    [
      'index.json that is a list',
      [{ name: 'info/index.json', body: '[]' }],
      /"info\/index.json" must hold a JSON object/,
    ],
    [
      'index.json that is not UTF-8',
      [{ name: 'info/index.json', body: Buffer.from([0x7b, 0xff, 0x7d]) }],
      /is not valid JSON/,
    ],
  ];
  for (const format of FORMATS) {
    for (const [label, members, message] of cases) {
      test(`${format.name}: refuses ${label}`, async () => {
        const error = await rejection(format.filename, format.pack(members));
        assert.equal(error.code, CondaErrorCode.InvalidRecord);
        assert.match(
          error.message,
          new RegExp(`^package archive "${format.filename.replaceAll('.', '\\.')}": `),
        );
        assert.match(error.message, message);
      });
    }
  }
});
