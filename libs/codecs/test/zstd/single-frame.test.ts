import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, test } from 'node:test';
import { constants, zstdCompressSync } from 'node:zlib';
import {
  CodecError,
  CodecErrorCode,
  compressZstdFrame,
  decompressZstdFrame,
  inspectZstdFrame,
} from '../../src/index.ts';
import { readFixture as fixture } from '../fixtures.ts';

const FIXTURE_INDEX = 'conda/tests/data/conda_format_repo/linux-64/repodata_shards.msgpack.zst';

function assertRefused(run: () => unknown, code: string, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof CodecError, `expected a CodecError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

/** A frame as a streaming writer (rattler's `zstd::encode_all`) makes it: no content size. */
function withoutContentSize(data: Uint8Array): Buffer {
  return zstdCompressSync(data, { params: { [constants.ZSTD_c_contentSizeFlag]: 0 } });
}

const TEXT = Buffer.from('{"packages":{}}'.repeat(500));

describe('compressZstdFrame', () => {
  test('reproduces the conda fixture index byte for byte (level 3, no checksum)', () => {
    const original = fixture(FIXTURE_INDEX);
    const plain = decompressZstdFrame(original, 1 << 20);
    assert.deepEqual(compressZstdFrame(plain), original);
  });

  test('one frame that declares its content size; a checksum only when asked', () => {
    const plain = inspectZstdFrame(compressZstdFrame(TEXT));
    assert.equal(plain.contentSize, TEXT.length);
    assert.equal(plain.hasChecksum, false);
    const checked = compressZstdFrame(TEXT, { checksum: true });
    assert.equal(inspectZstdFrame(checked).hasChecksum, true);
    assert.equal(inspectZstdFrame(checked).frameBytes, checked.length);
    assert.deepEqual(decompressZstdFrame(checked, TEXT.length), TEXT);
  });

  test('the level changes the bytes, not the content', () => {
    const fast = compressZstdFrame(TEXT, { level: 1 });
    const slow = compressZstdFrame(TEXT, { level: 19 });
    assert.deepEqual(decompressZstdFrame(fast, TEXT.length), TEXT);
    assert.deepEqual(decompressZstdFrame(slow, TEXT.length), TEXT);
  });
});

describe('decompressZstdFrame refuses hostile input', () => {
  test('every truncation is MALFORMED_DATA', () => {
    for (const frame of [compressZstdFrame(TEXT), compressZstdFrame(TEXT, { checksum: true })]) {
      for (let length = 0; length < frame.length; length++) {
        assertRefused(
          () => decompressZstdFrame(frame.subarray(0, length), 1 << 20),
          CodecErrorCode.MalformedData,
          /is not valid zstd data/,
        );
      }
    }
  });

  test('a bomb that declares its size is refused before decompressing', () => {
    const bomb = compressZstdFrame(Buffer.alloc(64 << 20));
    assert.ok(bomb.length < 4096, `a 64 MiB bomb is ${bomb.length} bytes`);
    assertRefused(
      () => decompressZstdFrame(bomb, 16 << 20, 'shard'),
      CodecErrorCode.LimitExceeded,
      /^shard declares 67108864 decompressed bytes, above the limit of 16777216$/,
    );
  });

  test('a bomb without a declared size stops at the cap', () => {
    const bomb = withoutContentSize(Buffer.alloc(8 << 20));
    assert.equal(inspectZstdFrame(bomb).contentSize, undefined);
    assertRefused(
      () => decompressZstdFrame(bomb, 1 << 20, 'shard'),
      CodecErrorCode.LimitExceeded,
      /^shard decompresses to more than the limit of 1048576 bytes$/,
    );
    assert.equal(decompressZstdFrame(bomb, 8 << 20).length, 8 << 20);
  });

  test('a window larger than the cap allows is refused', () => {
    const frame = withoutContentSize(TEXT);
    const descriptor = inspectZstdFrame(frame);
    assert.equal(frame[4], 0x00, 'no content size, no single segment: a window descriptor follows');
    assert.ok(descriptor.windowSize <= 1 << 23);
    const huge = Buffer.from(frame);
    huge[5] = (30 - 10) << 3; // window log 30: 1 GiB
    assert.equal(inspectZstdFrame(huge).windowSize, 2 ** 30);
    assertRefused(
      () => decompressZstdFrame(huge, 1 << 20),
      CodecErrorCode.LimitExceeded,
      /needs a 1073741824-byte zstd window, above the limit of 8388608/,
    );
  });

  test('trailing bytes, a second frame, a skippable frame and a bad magic are refused', () => {
    const frame = compressZstdFrame(TEXT);
    assertRefused(
      () => decompressZstdFrame(Buffer.concat([frame, Buffer.from('garbage!')]), 1 << 20),
      CodecErrorCode.MalformedData,
      /8 bytes follow the first frame/,
    );
    assertRefused(
      () => decompressZstdFrame(Buffer.concat([frame, frame]), 1 << 20),
      CodecErrorCode.MalformedData,
      /bytes follow the first frame/,
    );
    const skippable = Buffer.from('502a4d18040000006162636400000000000000', 'hex');
    assertRefused(
      () => decompressZstdFrame(skippable, 1 << 20),
      CodecErrorCode.MalformedData,
      /magic number is 0x184d2a50, expected 0xfd2fb528/,
    );
    assertRefused(
      () => decompressZstdFrame(Buffer.from('{"packages":{}}'), 1 << 20),
      CodecErrorCode.MalformedData,
      /magic number is 0x6170227b/,
    );
  });

  test('corrupt block data or checksum is MALFORMED_DATA', () => {
    const checked = compressZstdFrame(TEXT, { checksum: true });
    const badChecksum = Buffer.from(checked);
    badChecksum[badChecksum.length - 1]! ^= 0xff;
    assertRefused(() => decompressZstdFrame(badChecksum, 1 << 20), CodecErrorCode.MalformedData, /checksum/i);

    const frame = compressZstdFrame(Buffer.from(TEXT.toString('base64')));
    let refused = 0;
    for (let at = 12; at < frame.length; at += 7) {
      const corrupt = Buffer.from(frame);
      corrupt[at]! ^= 0x5a;
      try {
        decompressZstdFrame(corrupt, 1 << 20);
      } catch (error) {
        assert.ok(error instanceof CodecError, String(error));
        assert.ok(
          error.code === CodecErrorCode.MalformedData || error.code === CodecErrorCode.LimitExceeded,
          error.message,
        );
        refused++;
      }
    }
    assert.ok(refused > 0, 'at least one corruption is detected');
  });
});
