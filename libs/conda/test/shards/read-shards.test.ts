import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, test } from 'node:test';
import { compressZstdFrame, encodeMsgpack } from '@condasync/codecs';
import { CondaError, CondaErrorCode } from '../../src/errors.ts';
import {
  decodeShard,
  decodeShardIndex,
  MAX_SHARD_BYTES,
  shardFilename,
  verifyShard,
} from '../../src/shards/index.ts';
import { fixture } from '../repodata/helpers.ts';

const DIR = 'conda/tests/data/conda_format_repo/linux-64/';
const LIBGCC = '2dcdacf7009b4f1c21f452c5079384340257e0e1cbecb8ec484984d1fa85b115';
const ZLIB = '56a0c19b47ba1a2d0f1390eda489b1c49a00d35814571057e6d81e0c93dfd157';

function assertRefused(run: () => unknown, code: string, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof CondaError, `expected a CondaError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

/** msgpack → one zstd frame, as a writer would serve it. */
function pack(value: unknown): Buffer {
  return compressZstdFrame(encodeMsgpack(value));
}

/**
 * A hand-made zstd frame of RLE blocks (4 bytes for each 128 KiB of output): a real bomb that
 * expands `totalBytes` from a few KiB, declaring its size in the header only when asked.
 */
function rleBomb(totalBytes: number, declareSize: boolean): Buffer {
  const blockSize = 128 * 1024;
  const blocks = Math.ceil(totalBytes / blockSize);
  const header = declareSize
    ? Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xc0, (17 - 10) << 3]), Buffer.alloc(8)])
    : Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (17 - 10) << 3]);
  if (declareSize) header.writeBigUInt64LE(BigInt(blocks * blockSize), 6);
  const body = Buffer.alloc(blocks * 4);
  for (let i = 0; i < blocks; i++) {
    const last = i === blocks - 1 ? 1 : 0;
    body.writeUIntLE((blockSize << 3) | (1 << 1) | last, i * 4, 3);
    body[i * 4 + 3] = 0xc0;
  }
  return Buffer.concat([header, body]);
}

const RECORD = {
  build: '0',
  build_number: 0,
  depends: ['python >=3.8'],
  md5: Buffer.alloc(16, 0xab),
  name: 'evil',
  sha256: Buffer.alloc(32, 0xcd),
  size: 1,
  subdir: 'linux-64',
  version: '1',
};

function shardWith(conda: Record<string, unknown>, extra: Record<string, unknown> = {}): Buffer {
  return pack({ packages: {}, 'packages.conda': conda, ...extra });
}

function index(shards: Record<string, unknown>, info: Record<string, unknown> = {}, extra = {}): Buffer {
  return pack(
    new Map<string, unknown>([
      ['info', { base_url: '', shards_base_url: './shards/', subdir: 'linux-64', ...info }],
      ['version', 1],
      ['shards', shards],
      ...Object.entries(extra),
    ]),
  );
}

describe('reading conda’s sharded fixture', () => {
  test('decodeShardIndex: names → sha256 hex, info with both URLs', () => {
    const decoded = decodeShardIndex(fixture(DIR + 'repodata_shards.msgpack.zst'), { subdir: 'linux-64' });
    assert.deepEqual(decoded, {
      version: 1,
      info: { base_url: '', shards_base_url: '', subdir: 'linux-64' },
      shards: new Map([
        ['libgcc-ng', LIBGCC],
        ['zlib', ZLIB],
      ]),
    });
  });

  test('decodeShard: the records of repodata.json, per package, hashes as hex', () => {
    const repodata = JSON.parse(fixture(DIR + 'repodata.json').toString('utf8'));
    for (const [packageName, hash] of [
      ['libgcc-ng', LIBGCC],
      ['zlib', ZLIB],
    ] as const) {
      const bytes = fixture(DIR + shardFilename(hash));
      verifyShard(hash, bytes);
      const shard = decodeShard(bytes, { subdir: 'linux-64', packageName });
      const expected = (section: string) =>
        Object.fromEntries(
          Object.entries(repodata[section] as Record<string, { name: string }>).filter(
            ([, record]) => record.name === packageName,
          ),
        );
      assert.deepEqual(shard, {
        packages: expected('packages'),
        'packages.conda': expected('packages.conda'),
      });
    }
  });

  test('bin hashes (CEP 16) read back as the same lowercase hex', () => {
    const shard = decodeShard(shardWith({ 'evil-1-0.conda': RECORD }));
    const record = shard['packages.conda']['evil-1-0.conda']!;
    assert.equal(record.md5, 'ab'.repeat(16));
    assert.equal(record.sha256, 'cd'.repeat(32));
    assert.deepEqual(shard.packages, {});
  });
});

describe('decodeShardIndex refuses hostile or malformed indexes', () => {
  const hash = Buffer.alloc(32, 1);

  test('path-like or non-CEP-26 package names', () => {
    for (const name of [
      '../evil',
      'a/b',
      'a\\b',
      '..',
      '.hidden',
      '-dash',
      'a..b',
      'nul\0',
      '',
      'x'.repeat(129),
    ]) {
      assertRefused(
        () => decodeShardIndex(index({ [name]: hash })),
        CondaErrorCode.InvalidRecord,
        /shard index: invalid package name/,
      );
    }
  });

  test('hashes that are not 32 bytes', () => {
    for (const [value, shown] of [
      [Buffer.alloc(31), '31 bytes of bin'],
      [Buffer.alloc(0), '0 bytes of bin'],
      ['abc', '"abc"'],
      [42, '42'],
    ] as const) {
      assertRefused(
        () => decodeShardIndex(index({ zlib: value })),
        CondaErrorCode.InvalidRecord,
        new RegExp(`hash of "zlib" must be a 32-byte bin \\(sha256\\), got ${shown}`),
      );
    }
  });

  test('a hex-string hash is accepted and lowercased (rattler reads both)', () => {
    const decoded = decodeShardIndex(index({ zlib: 'AB'.repeat(32) }));
    assert.equal(decoded.shards.get('zlib'), 'ab'.repeat(32));
  });

  test('a missing base_url / shards_base_url reads as ""; other info keys are kept', () => {
    const bytes = pack({
      info: { subdir: 'noarch', created_at: '2026-01-01T00:00:00Z', x: [1] },
      shards: {},
    });
    assert.deepEqual(decodeShardIndex(bytes), {
      version: undefined,
      info: {
        base_url: '',
        shards_base_url: '',
        subdir: 'noarch',
        created_at: '2026-01-01T00:00:00Z',
        x: [1],
      },
      shards: new Map(),
    });
  });

  test('wrong shapes, version and subdir', () => {
    assertRefused(
      () => decodeShardIndex(pack([1])),
      CondaErrorCode.InvalidRecord,
      /shard index must be a map/,
    );
    assertRefused(
      () => decodeShardIndex(pack({ shards: {} })),
      CondaErrorCode.InvalidRecord,
      /"info" must be a map/,
    );
    assertRefused(
      () => decodeShardIndex(pack({ info: { subdir: 'noarch' } })),
      CondaErrorCode.InvalidRecord,
      /"shards" must be a map, got undefined/,
    );
    assertRefused(
      () => decodeShardIndex(pack({ info: { subdir: 'noarch' }, shards: {}, version: 2 })),
      CondaErrorCode.InvalidRecord,
      /"version" must be 1, got 2/,
    );
    assertRefused(
      () => decodeShardIndex(index({}, { base_url: 5 })),
      CondaErrorCode.InvalidRecord,
      /"info.base_url" must be a string, got 5/,
    );
    assertRefused(
      () => decodeShardIndex(index({}, { subdir: undefined })),
      CondaErrorCode.InvalidRecord,
      /"info.subdir" must be a string/,
    );
    assertRefused(
      () => decodeShardIndex(index({}), { subdir: 'osx-arm64' }),
      CondaErrorCode.SubdirMismatch,
      /must be "osx-arm64" \(the subdir being read\), got "linux-64"/,
    );
  });

  test('truncated zstd, malformed msgpack and bombs', () => {
    const good = fixture(DIR + 'repodata_shards.msgpack.zst');
    assertRefused(
      () => decodeShardIndex(good.subarray(0, good.length - 1)),
      CondaErrorCode.MalformedJson,
      /^shard index is not valid zstd data: truncated/,
    );
    assertRefused(
      () => decodeShardIndex(compressZstdFrame(Buffer.from('83a4696e666f', 'hex'))),
      CondaErrorCode.MalformedJson,
      /^shard index is not valid msgpack at byte 0: map declares 3 entries but only 5 bytes remain/,
    );
    assertRefused(
      () => decodeShardIndex(rleBomb(129 * 1024 * 1024, true)),
      CondaErrorCode.LimitExceeded,
      /^shard index declares 135266304 decompressed bytes, above the limit of 134217728$/,
    );
    assertRefused(
      () => decodeShardIndex(rleBomb(2 * 1024 * 1024, false), { maxDecompressedBytes: 1024 * 1024 }),
      CondaErrorCode.LimitExceeded,
      /^shard index decompresses to more than the limit of 1048576 bytes$/,
    );
  });
});

describe('decodeShard refuses hostile or malformed shards', () => {
  test('a bomb: 4 KiB that would expand past the 64 MiB default cap', () => {
    const bomb = rleBomb(MAX_SHARD_BYTES + 128 * 1024, false);
    assert.ok(bomb.length < 4096 + 16, `bomb is ${bomb.length} bytes`);
    assertRefused(
      () => decodeShard(bomb, { packageName: 'zlib' }),
      CondaErrorCode.LimitExceeded,
      /^shard of "zlib" decompresses to more than the limit of 67108864 bytes$/,
    );
  });

  test('truncated zstd at every length', () => {
    const good = fixture(DIR + shardFilename(ZLIB));
    for (let length = 0; length < good.length; length++) {
      assertRefused(
        () => decodeShard(good.subarray(0, length)),
        CondaErrorCode.MalformedJson,
        /^shard is not valid zstd data/,
      );
    }
  });

  test('msgpack with a huge declared length, or nested too deep', () => {
    // {"packages": str32 of 4 GiB}
    const huge = Buffer.concat([Buffer.from('81a87061636b61676573dbffffff00', 'hex'), Buffer.alloc(8)]);
    assertRefused(
      () => decodeShard(compressZstdFrame(huge)),
      CondaErrorCode.LimitExceeded,
      /4294967040 bytes/,
    );
    const bogus = Buffer.concat([Buffer.from('81a87061636b61676573df7fffffff', 'hex'), Buffer.alloc(8)]);
    assertRefused(
      () => decodeShard(compressZstdFrame(bogus)),
      CondaErrorCode.LimitExceeded,
      /map of 2147483647 entries exceeds the limit/,
    );
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = [deep];
    assertRefused(
      () => decodeShard(shardWith({ 'evil-1-0.conda': { ...RECORD, depends: deep } })),
      CondaErrorCode.LimitExceeded,
      /nesting deeper than 64 levels/,
    );
  });

  test('path-like filenames and filenames that do not match their record', () => {
    for (const filename of [
      '../../evil-1-0.conda',
      'a/evil-1-0.conda',
      '.evil-1-0.conda',
      'evil-1-0.conda\0',
    ]) {
      assertRefused(
        () => decodeShard(shardWith({ [filename]: RECORD })),
        CondaErrorCode.InvalidFilename,
        /invalid package filename/,
      );
    }
    assertRefused(
      () => decodeShard(shardWith({ 'evil-2-0.conda': RECORD })),
      CondaErrorCode.InvalidFilename,
      /must equal "<name>-<version>-<build>.conda" = "evil-1-0.conda"/,
    );
    assertRefused(
      () => decodeShard(pack({ packages: { 'evil-1-0.conda': RECORD } })),
      CondaErrorCode.InvalidFilename,
      /expected the extension ".tar.bz2" for an entry under "packages"/,
    );
    assertRefused(
      () => decodeShard(shardWith({}, { removed: ['../x-1-0.conda'] })),
      CondaErrorCode.InvalidFilename,
      /invalid package filename "..\/x-1-0.conda"/,
    );
  });

  test('a record of another package, a wrong subdir, bad hashes, stray bin', () => {
    const shard = shardWith({ 'evil-1-0.conda': RECORD });
    assertRefused(
      () => decodeShard(shard, { packageName: 'zlib' }),
      CondaErrorCode.InvalidRecord,
      /shard for "zlib": record "evil-1-0.conda" belongs to package "evil"/,
    );
    assertRefused(
      () => decodeShard(shard, { subdir: 'noarch' }),
      CondaErrorCode.SubdirMismatch,
      /field "subdir" must be "noarch"/,
    );
    assertRefused(
      () => decodeShard(shardWith({ 'evil-1-0.conda': { ...RECORD, md5: Buffer.alloc(15) } })),
      CondaErrorCode.InvalidRecord,
      /field "md5" must be 16 bytes, got 15/,
    );
    assertRefused(
      () => decodeShard(shardWith({ 'evil-1-0.conda': { ...RECORD, sha256: 'XYZ' } })),
      CondaErrorCode.InvalidRecord,
      /field "sha256" must be 64 lowercase hex characters/,
    );
    assertRefused(
      () =>
        decodeShard(shardWith({ 'evil-1-0.conda': { ...RECORD, run_exports: { weak: [Buffer.alloc(2)] } } })),
      CondaErrorCode.InvalidRecord,
      /"run_exports.weak\[0\]" is binary/,
    );
  });

  test('shape: packages required, packages.conda optional, removed kept, unknown keys ignored', () => {
    assertRefused(
      () => decodeShard(pack({ 'packages.conda': {} })),
      CondaErrorCode.InvalidRecord,
      /shard: "packages" must be a map, got undefined/,
    );
    assertRefused(
      () => decodeShard(pack('nope')),
      CondaErrorCode.InvalidRecord,
      /shard must be a map, got "nope"/,
    );
    assert.deepEqual(decodeShard(pack({ packages: {}, v3: { whl: {} } })), {
      packages: {},
      'packages.conda': {},
    });
    const withRemoved = decodeShard(shardWith({}, { removed: ['evil-0-0.conda'] }));
    assert.deepEqual(withRemoved.removed, ['evil-0-0.conda']);
  });
});

describe('verifyShard', () => {
  const bytes = fixture(DIR + shardFilename(ZLIB));

  test('accepts the bytes its name is the sha256 of', () => {
    verifyShard(ZLIB, bytes);
  });

  test('refuses bytes that do not hash to the name', () => {
    assertRefused(
      () => verifyShard(LIBGCC, bytes),
      CondaErrorCode.InvalidRecord,
      new RegExp(`^shard "${LIBGCC}" is corrupt: its 372 bytes hash to ${ZLIB}$`),
    );
    const flipped = Buffer.from(bytes);
    flipped[100]! ^= 1;
    assertRefused(() => verifyShard(ZLIB, flipped), CondaErrorCode.InvalidRecord, /is corrupt/);
  });

  test('refuses names that are not 64 lowercase hex characters', () => {
    for (const name of ['../../etc/passwd', ZLIB.toUpperCase(), `${ZLIB}.msgpack.zst`, ZLIB.slice(1), '']) {
      assertRefused(() => verifyShard(name, bytes), CondaErrorCode.InvalidFilename, /invalid shard name/);
    }
    assertRefused(() => shardFilename('../x'), CondaErrorCode.InvalidFilename, /invalid shard name "..\/x"/);
  });
});
