import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { zstdCompressSync } from 'node:zlib';
import { decompressZstd } from '../../src/package/zstd-decompress.ts';
import { splitZstdFrames, ZstdFrameError } from '../../src/package/zstd-frames.ts';

async function decompress(data: Uint8Array): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of decompressZstd(data)) parts.push(chunk);
  return Buffer.concat(parts);
}

const hello = zstdCompressSync(Buffer.from('hello '));
const world = zstdCompressSync(Buffer.from('world'));
const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);

describe('decompressZstd', () => {
  test('decodes every frame and skips skippable frames', async () => {
    assert.equal((await decompress(Buffer.concat([hello, skippable, world]))).toString(), 'hello world');
  });

  test('decodes large frames with raw, RLE and compressed blocks', async () => {
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
    await assert.rejects(decompress(frame.subarray(0, frame.length - 2)), ZstdFrameError);
    await assert.rejects(decompress(Buffer.alloc(0)), /holds no frame/);
    await assert.rejects(decompress(Buffer.from('BZh91AY&SY')), /bad frame magic at byte 0/);
    await assert.rejects(
      decompress(Buffer.concat([hello, Buffer.from('xy')])),
      /ends in the middle of a frame magic/,
    );
  });

  test('refuses corrupt block data through Node’s decoder', async () => {
    const frame = Buffer.from(zstdCompressSync(Buffer.from('abc'.repeat(1000))));
    frame[frame.length - 6]! ^= 0xff;
    await assert.rejects(decompress(frame), /Data corruption detected/);
  });

  test('splits frames at their exact boundaries', () => {
    const frames = splitZstdFrames(Buffer.concat([hello, skippable, world]));
    assert.deepEqual(
      frames.map((frame) => frame.length),
      [hello.length, world.length],
    );
  });
});
