import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { CodecError, CodecErrorCode, decompressZstd, walkZstdFrames } from '../../src/index.ts';

async function decompress(data: Uint8Array): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of decompressZstd(data)) parts.push(chunk);
  return Buffer.concat(parts);
}

function isMalformed(message: RegExp): (error: unknown) => boolean {
  return (error) =>
    error instanceof CodecError && error.code === CodecErrorCode.MalformedData && message.test(error.message);
}

const hello = zstdCompressSync(Buffer.from('hello '));
const world = zstdCompressSync(Buffer.from('world'));
const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);

describe('decompressZstd', () => {
  test('decodes a multi-frame .zst whole, skipping skippable frames', async () => {
    assert.equal((await decompress(Buffer.concat([hello, skippable, world]))).toString(), 'hello world');
  });

  test('decodes large frames with raw, RLE and compressed blocks, frame after frame', async () => {
    const data = Buffer.concat([
      randomBytes(300_000),
      Buffer.alloc(300_000, 7),
      Buffer.from('text '.repeat(50_000)),
    ]);
    const twice = Buffer.concat([zstdCompressSync(data), zstdCompressSync(data)]);
    assert.deepEqual(await decompress(twice), Buffer.concat([data, data]));
  });

  test('refuses truncated, empty and foreign data', async () => {
    const frame = zstdCompressSync(randomBytes(10_000));
    await assert.rejects(decompress(frame.subarray(0, frame.length - 2)), isMalformed(/truncated/));
    await assert.rejects(
      decompress(Buffer.alloc(0)),
      isMalformed(/^input is not valid zstd data: it holds no frame$/),
    );
    await assert.rejects(
      decompress(Buffer.from('BZh91AY&SY')),
      isMalformed(/magic number at byte 0 is 0x39685a42, expected 0xfd2fb528/),
    );
  });

  test('refuses stray bytes after the last frame, which Node’s decoder alone would ignore', async () => {
    for (const junk of ['xy', 'xyzw']) {
      const padded = Buffer.concat([hello, Buffer.from(junk)]);
      assert.equal(zstdDecompressSync(padded).toString(), 'hello ', 'Node ignores the stray bytes');
      await assert.rejects(decompress(padded), isMalformed(/stray bytes|magic number at byte/));
    }
  });

  test('refuses corrupt block data through Node’s decoder, as a CodecError', async () => {
    const frame = Buffer.from(zstdCompressSync(Buffer.from('abc'.repeat(1000))));
    frame[frame.length - 6]! ^= 0xff;
    await assert.rejects(decompress(frame), isMalformed(/^input is corrupt: zstd decoding failed/));
  });

  test('walks frames at their exact boundaries', () => {
    const frames = walkZstdFrames(Buffer.concat([hello, skippable, world]));
    assert.deepEqual(
      frames.map((frame) => [frame.offset, frame.frameBytes]),
      [
        [0, hello.length],
        [hello.length + skippable.length, world.length],
      ],
    );
  });
});
