import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, test } from 'node:test';
import { type ZipMember, zipArchive } from '../../../../test/support/archive-builders.ts';
import { CodecError, CodecErrorCode, readZipDirectory, storedMemberData } from '../../src/index.ts';
import { readFixture } from '../fixtures.ts';

function firstMemberData(zip: Uint8Array): Uint8Array {
  const directory = readZipDirectory(zip, 10);
  return storedMemberData(zip, directory, directory.entries[0]!);
}

function problem(action: () => unknown, code: CodecErrorCode = CodecErrorCode.MalformedData): string {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof CodecError, `expected a CodecError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error.message;
  }
  return assert.fail('expected a failure');
}

const member = (overrides: Partial<ZipMember> = {}): ZipMember => ({
  name: 'info-x.tar.zst',
  data: Buffer.from('payload bytes'),
  ...overrides,
});

describe('readZipDirectory and storedMemberData', () => {
  test('read the 2019 conda-package-handling fixture (info, pkg, metadata order)', () => {
    const zip = readFixture('conda-package-handling/tests/data/mock-2.0.0-py37_1000.conda');
    const { entries } = readZipDirectory(zip, 10);
    assert.deepEqual(
      entries.map((entry) => [entry.name, entry.method, entry.uncompressedSize]),
      [
        ['info-mock-2.0.0-py37_1000.tar.zst', 0, 5424],
        ['pkg-mock-2.0.0-py37_1000.tar.zst', 0, 107560],
        ['metadata.json', 0, 31],
      ],
    );
  });

  test('read rattler-build output, whose every entry carries a zip64 extra field', () => {
    const zip = readFixture('rattler/test-data/packages/empty-0.1.0-h4616a5c_0.conda');
    const directory = readZipDirectory(zip, 10);
    const metadata = directory.entries.find((entry) => entry.name === 'metadata.json')!;
    assert.equal(
      Buffer.from(storedMemberData(zip, directory, metadata)).toString(),
      '{"conda_pkg_format_version":2}',
    );
  });

  test('take sizes from the zip64 extra field when the header says 0xffffffff', () => {
    assert.equal(
      Buffer.from(firstMemberData(zipArchive([member({ zip64: true })]))).toString(),
      'payload bytes',
    );
  });

  test('find the directory through a zip64 end record', () => {
    const zip = zipArchive([member({ name: 'metadata.json' }), member({ zip64: true })], { zip64End: true });
    const { entries } = readZipDirectory(zip, 10);
    assert.deepEqual(
      entries.map((entry) => entry.name),
      ['metadata.json', 'info-x.tar.zst'],
    );
  });

  test('refuse a size that lies (past the file, into the directory, or not matching the CRC)', () => {
    assert.match(
      problem(() => firstMemberData(zipArchive([member({ claimedSize: 5000 })]))),
      /runs past the end of the file/,
    );
    assert.match(
      problem(() => firstMemberData(zipArchive([member({ claimedSize: 30 })]))),
      /overlaps the central directory/,
    );
    assert.match(
      problem(() => firstMemberData(zipArchive([member({ claimedSize: 5 })]))),
      /CRC-32 of "info-x.tar.zst" does not match/,
    );
  });

  test('refuse compressed members and local headers that disagree with the directory', () => {
    assert.match(
      problem(() => firstMemberData(zipArchive([member({ method: 8 })])), CodecErrorCode.Unsupported),
      /uses compression method 8; expected STORED \(0\)/,
    );
    assert.match(
      problem(() => firstMemberData(zipArchive([member({ localName: 'info-y.tar.zst' })]))),
      /names "info-y.tar.zst", the central directory "info-x.tar.zst"/,
    );
  });

  test('refuse path-like, duplicate and too many member names', () => {
    assert.match(
      problem(
        () => readZipDirectory(zipArchive([member({ name: '../info-x.tar.zst' })]), 10),
        CodecErrorCode.UnsafePath,
      ),
      /path traversal/,
    );
    assert.match(
      problem(() => readZipDirectory(zipArchive([member(), member()]), 10)),
      /member "info-x.tar.zst" appears twice/,
    );
    assert.throws(
      () => readZipDirectory(zipArchive([member(), member({ name: 'b' }), member({ name: 'c' })]), 2),
      {
        code: CodecErrorCode.LimitExceeded,
        message: /zip has 3 entries \(limit 2\)/,
      },
    );
  });

  test('refuse files that are not zips, or truncated ones', () => {
    assert.match(
      problem(() => readZipDirectory(Buffer.alloc(0), 10)),
      /^not a valid zip: only 0 bytes long$/,
    );
    assert.match(
      problem(() => readZipDirectory(Buffer.alloc(100, 1), 10)),
      /no end-of-central-directory record/,
    );
    const zip = readFixture('conda/tests/data/conda_format_repo/linux-64/zlib-1.2.11-h7b6447c_3.conda');
    assert.match(
      problem(() => readZipDirectory(zip.subarray(0, zip.length - 10), 10)),
      /no end-of-central-directory record/,
    );
    assert.match(
      problem(() => readZipDirectory(zip.subarray(zip.length - 200), 10)),
      /central directory at byte \d+ runs past the end/,
    );
  });
});
