import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { chunkedSource } from '../../../../test/support/archive-builders.ts';
import { CodecError, CodecErrorCode, compressBzip2Sync, decompressBzip2 } from '../../src/index.ts';
import { readFixture } from '../fixtures.ts';

async function decompress(bytes: Uint8Array, chunkSize = 1 << 30): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of decompressBzip2(chunkedSource(bytes, chunkSize))) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

async function failure(bytes: Uint8Array): Promise<string> {
  try {
    await decompress(bytes);
  } catch (error) {
    assert.ok(error instanceof CodecError, `expected a CodecError, got ${String(error)}`);
    assert.equal(error.code, CodecErrorCode.MalformedData);
    return error.message;
  }
  return assert.fail('decompression should have failed');
}

/**
 * `.json.bz2` files written by conda-index's Python `bz2.compress`, next to the JSON they hold.
 * The `.json` files end with a newline that the compressed copies do not have.
 */
const JSON_PAIRS = [
  'conda-index/tests/index_hotfix_pkgs/osx-64/repodata.json',
  'conda-index/tests/index_hotfix_pkgs/osx-64/repodata_from_packages.json',
  'conda-index/tests/index_hotfix_pkgs/osx-64/current_repodata.json',
  'conda-index/tests/index_hotfix_pkgs/noarch/repodata.json',
];

describe('decompressBzip2', () => {
  for (const file of JSON_PAIRS) {
    test(`decodes ${file}.bz2 to the JSON beside it`, async () => {
      const json = readFixture(file);
      assert.equal(json.at(-1), 0x0a);
      assert.deepEqual(await decompress(readFixture(`${file}.bz2`)), json.subarray(0, -1));
    });
  }

  test('gives the same bytes whatever the input chunking', async () => {
    const archive = readFixture('conda-package-handling/tests/data/cph_test_data-0.0.1-0.tar.bz2');
    const whole = await decompress(archive);
    assert.equal(whole.length, 24064);
    for (const size of [1, 3, 511, 4096])
      assert.deepEqual(await decompress(archive, size), whole, `chunks of ${size}`);
  });

  test('decodes a stream of two blocks (the 1 MB conda-forge patch package)', async () => {
    const archive = readFixture('conda-index/tests/archives/conda-forge-repodata-patches-20180828-0.tar.bz2');
    // BZh9: blocks of at most 900 000 bytes, so 1 034 240 bytes take two.
    assert.equal(archive.subarray(0, 4).toString(), 'BZh9');
    const tar = await decompress(archive);
    assert.equal(tar.length, 1_034_240);
    assert.equal(tar.subarray(0, 20).toString(), 'info/hash_input.json');
  });

  test('decodes concatenated streams as one, as bzip2 -d does', async () => {
    const one = readFixture('conda-index/tests/index_hotfix_pkgs/noarch/repodata.json.bz2');
    const two = readFixture('conda-index/tests/index_hotfix_pkgs/osx-64/repodata.json.bz2');
    const expected = Buffer.concat([
      readFixture('conda-index/tests/index_hotfix_pkgs/noarch/repodata.json').subarray(0, -1),
      readFixture('conda-index/tests/index_hotfix_pkgs/osx-64/repodata.json').subarray(0, -1),
    ]);
    assert.deepEqual(await decompress(Buffer.concat([one, two])), expected);
  });

  test('round-trips data with long runs and every byte value, across many blocks', async () => {
    const data = Buffer.concat([
      Buffer.alloc(70_000, 0x61),
      randomBytes(230_000),
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
    ]);
    assert.deepEqual(await decompress(compressBzip2Sync(data, { level: 1 }), 777), data);
  });

  test('produces output lazily: a consumer that stops early never gets the whole bomb', async () => {
    const bomb = compressBzip2Sync(new Uint8Array(2_000_000), { level: 1 });
    assert.ok(bomb.length < 2000, `bomb is ${bomb.length} bytes`);
    let seen = 0;
    for await (const chunk of decompressBzip2(chunkedSource(bomb, 64))) {
      seen += chunk.length;
      if (seen >= 100_000) break;
    }
    assert.ok(seen < 200_000, `read ${seen} bytes before stopping`);
  });

  test('refuses data that is not bzip2', async () => {
    assert.equal(
      await failure(Buffer.from('PK\u0003\u0004 not bzip2')),
      'not bzip2 data: the first bytes are 0x504b0304, expected "BZh1".."BZh9"',
    );
    assert.match(
      await failure(readFixture('conda-index/tests/index_data/corrupt/noarch/bad_package.tar.bz2')),
      /^not bzip2 data: the first bytes are 0x[0-9a-f]{8}, expected "BZh1".."BZh9"$/,
    );
  });

  test('refuses truncated data at any cut', async () => {
    const archive = readFixture('conda-index/tests/archives/nano-2.4.1-0.tar.bz2');
    for (const cut of [3, 10, 100, archive.length - 5, archive.length - 1]) {
      assert.equal(
        await failure(archive.subarray(0, cut)),
        'bzip2 data is truncated (it ends inside a block)',
        `cut at ${cut}`,
      );
    }
  });

  test('detects corrupted data through the block CRC', async () => {
    const archive = Buffer.from(readFixture('conda-index/tests/archives/nano-2.4.1-0.tar.bz2'));
    archive[archive.length - 40]! ^= 0x10;
    assert.match(await failure(archive), /CRC mismatch|invalid|out of range|longer than/);
  });

  test('refuses garbage after the stream', async () => {
    const archive = readFixture('conda-index/tests/index_hotfix_pkgs/noarch/repodata.json.bz2');
    assert.equal(
      await failure(Buffer.concat([archive, Buffer.from('junk')])),
      'unexpected data after the bzip2 stream (0x6a756e6b), expected another "BZh" stream or the end',
    );
  });

  test('closes its source when the consumer stops', async () => {
    const source = chunkedSource(compressBzip2Sync(new Uint8Array(500_000), { level: 1 }), 16);
    for await (const _ of decompressBzip2(source)) break;
    assert.equal(source.closed, true);
  });
});
