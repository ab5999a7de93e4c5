import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, test } from 'node:test';
import {
  chunkedSource,
  paxRecord,
  type TarMember,
  tarArchive,
} from '../../../../test/support/archive-builders.ts';
import { CodecError, CodecErrorCode, type TarEntry, TarReader } from '../../src/index.ts';

const LIMITS = { maxEntries: 100, maxBytes: 10 * 1024 * 1024 };

async function entries(tar: Uint8Array, limits = LIMITS, chunkSize = 100): Promise<TarEntry[]> {
  const reader = new TarReader(chunkedSource(tar, chunkSize), limits);
  const found: TarEntry[] = [];
  for (let entry = await reader.next(); entry !== null; entry = await reader.next()) found.push(entry);
  return found;
}

async function rejection(members: TarMember[] | Uint8Array, limits = LIMITS): Promise<CodecError> {
  const tar = members instanceof Uint8Array ? members : tarArchive(members);
  try {
    await entries(tar, limits);
  } catch (error) {
    assert.ok(error instanceof CodecError, `expected a CodecError, got ${String(error)}`);
    return error;
  }
  return assert.fail('reading should have failed');
}

describe('TarReader', () => {
  test('lists entries with normalised paths, types, sizes and link targets', async () => {
    const found = await entries(
      tarArchive([
        { name: './info/', type: '5' },
        { name: './info/index.json', body: '{}' },
        { name: 'lib/libz.so', type: '2', linkName: 'libz.so.1' },
        { name: 'lib/hard', type: '1', linkName: 'lib/libz.so.1' },
        { name: 'bin/fifo', type: '6' },
      ]),
    );
    assert.deepEqual(found, [
      { path: 'info', type: 'directory', size: 0, linkTarget: '' },
      { path: 'info/index.json', type: 'file', size: 2, linkTarget: '' },
      { path: 'lib/libz.so', type: 'symlink', size: 0, linkTarget: 'libz.so.1' },
      { path: 'lib/hard', type: 'hardlink', size: 0, linkTarget: 'lib/libz.so.1' },
      { path: 'bin/fifo', type: 'other', size: 0, linkTarget: '' },
    ]);
  });

  test('reads bodies across chunk boundaries and skips the unread ones', async () => {
    const big = Buffer.alloc(5000, 0x41);
    const tar = tarArchive([
      { name: 'skipped.bin', body: big },
      { name: 'read.txt', body: 'hello' },
    ]);
    for (const chunkSize of [1, 7, 512, 100_000]) {
      const reader = new TarReader(chunkedSource(tar, chunkSize), LIMITS);
      assert.equal((await reader.next())?.path, 'skipped.bin');
      assert.equal((await reader.next())?.path, 'read.txt');
      assert.equal(Buffer.from(await reader.readBody(100)).toString(), 'hello');
      assert.equal(await reader.next(), null);
    }
  });

  test('takes names and sizes from pax records, GNU long names, the ustar prefix and base-256 sizes', async () => {
    const longName = `info/${'d/'.repeat(80)}index.json`;
    const found = await entries(
      tarArchive([
        {
          name: 'PaxHeaders/x',
          type: 'x',
          body: paxRecord('path', longName) + paxRecord('linkpath', 'ünïcode'),
        },
        { name: 'short', type: '2' },
        { name: '././@LongLink', type: 'L', body: `gnu/${'x'.repeat(150)}\0` },
        { name: 'truncated-name', body: 'abc' },
        { name: 'prefix/part/name.txt', prefixSplit: 11, body: '' },
        { name: 'big-size', base256Size: true, body: 'hello' },
      ]),
    );
    assert.deepEqual(
      found.map((entry) => [entry.path, entry.type, entry.size, entry.linkTarget]),
      [
        [longName, 'symlink', 0, 'ünïcode'],
        [`gnu/${'x'.repeat(150)}`, 'file', 3, ''],
        ['prefix/part/name.txt', 'file', 0, ''],
        ['big-size', 'file', 5, ''],
      ],
    );
  });

  test('ends at the first zero block, as Python’s tarfile does, and at a clean end of stream', async () => {
    const afterZero = Buffer.concat([
      tarArchive([{ name: 'a', body: 'x' }], false),
      new Uint8Array(512),
      tarArchive([{ name: 'hidden', body: 'y' }]),
    ]);
    assert.deepEqual(
      (await entries(afterZero)).map((entry) => entry.path),
      ['a'],
    );
    const noEnd = tarArchive([{ name: 'a', body: 'x' }], false);
    assert.deepEqual(
      (await entries(noEnd)).map((entry) => entry.path),
      ['a'],
    );
  });

  for (const [name, problem] of [
    ['../evil', /member "..\/evil" has a ".." segment \(path traversal\)/],
    ['info/../../evil', /has a ".." segment/],
    ['/etc/passwd', /member "\/etc\/passwd" is an absolute path/],
    ['info\\index.json', /contains a backslash/],
    ['C:/Windows/evil', /starts with a drive letter/],
  ] as const) {
    test(`refuses the member name ${JSON.stringify(name)}`, async () => {
      const error = await rejection([{ name, body: 'x' }]);
      assert.equal(error.code, CodecErrorCode.UnsafePath);
      assert.match(error.message, /^member /);
      assert.match(error.message, problem);
      assert.match(error.message, /expected a relative path inside the archive$/);
    });
  }

  test('refuses a traversal hidden in a pax path', async () => {
    const error = await rejection([
      { name: 'PaxHeaders/x', type: 'x', body: paxRecord('path', '../../outside') },
      { name: 'innocent', body: 'x' },
    ]);
    assert.match(error.message, /member "..\/..\/outside" has a ".." segment/);
  });

  test('refuses a bad header checksum, a non-octal size and malformed pax records', async () => {
    assert.match(
      (await rejection([{ name: 'a', badChecksum: true }])).message,
      /tar header checksum mismatch/,
    );
    const tar = Buffer.from(tarArchive([{ name: 'a', body: 'x' }]));
    tar.write('0000000009x\0', 124, 'latin1');
    tar.fill(0x20, 148, 156);
    tar.write(
      `${tar
        .subarray(0, 512)
        .reduce((sum, byte) => sum + byte, 0)
        .toString(8)
        .padStart(6, '0')}\0`,
      148,
      'latin1',
    );
    assert.match((await rejection(tar)).message, /size field "0000000009x" is not octal/);
    assert.match(
      (await rejection([{ name: 'p', type: 'x', body: '999 path=x\n' }, { name: 'a' }])).message,
      /malformed pax extended header/,
    );
  });

  test('refuses a truncated header or body', async () => {
    const tar = tarArchive([{ name: 'a', body: Buffer.alloc(2000) }]);
    for (const cut of [100, 700, 2000]) {
      const error = await rejection(tar.subarray(0, cut));
      assert.equal(error.code, CodecErrorCode.MalformedData);
      assert.match(error.message, /^tar data is (truncated|malformed: entry data is truncated)/);
    }
  });

  test('stops past maxEntries and past maxBytes of decompressed data', async () => {
    const many = tarArchive(Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, body: 'x' })));
    const tooMany = await rejection(many, { ...LIMITS, maxEntries: 10 });
    assert.equal(tooMany.code, CodecErrorCode.LimitExceeded);
    assert.match(tooMany.message, /^tar data has more than 10 entries$/);
    const large = tarArchive([{ name: 'big', body: Buffer.alloc(20_000) }]);
    const tooLarge = await rejection(large, { ...LIMITS, maxBytes: 10_000 });
    assert.equal(tooLarge.code, CodecErrorCode.LimitExceeded);
    assert.match(tooLarge.message, /^tar data is larger than the 10000-byte limit$/);
  });

  test('refuses to read a body larger than asked for', async () => {
    const reader = new TarReader(
      chunkedSource(tarArchive([{ name: 'big', body: Buffer.alloc(1000) }]), 64),
      LIMITS,
    );
    await reader.next();
    await assert.rejects(reader.readBody(999), {
      code: CodecErrorCode.LimitExceeded,
      message: /"big" is 1000 bytes \(limit 999\)/,
    });
  });
});
