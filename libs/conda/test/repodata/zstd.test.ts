import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, test } from 'node:test';
import { zstdDecompressSync } from 'node:zlib';
import { compressZstd } from '../../src/repodata/index.ts';
import { chunked, fixture, parseBytes, writeParsed } from './helpers.ts';

/**
 * Walks the zstd frame format (RFC 8878 §3.1.1) and returns the number of frames, so a test can
 * tell one frame from several concatenated ones (which decompress to the same bytes).
 */
function countZstdFrames(data: Buffer): number {
  let at = 0;
  let frames = 0;
  while (at < data.length) {
    assert.equal(data.readUInt32LE(at), 0xfd2fb528, `zstd magic at byte ${at}`);
    const descriptor = data[at + 4]!;
    const contentSizeFlag = descriptor >> 6;
    const singleSegment = (descriptor >> 5) & 1;
    const hasChecksum = (descriptor >> 2) & 1;
    const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 3]!;
    const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][contentSizeFlag]!;
    at += 5 + (singleSegment ? 0 : 1) + dictionaryIdBytes + contentSizeBytes;
    for (;;) {
      const header = data.readUIntLE(at, 3);
      const last = header & 1;
      const type = (header >> 1) & 3;
      const size = header >> 3;
      at += 3 + (type === 1 ? 1 : size);
      if (last) break;
    }
    if (hasChecksum) at += 4;
    frames++;
  }
  assert.equal(at, data.length);
  return frames;
}

async function compressAll(
  source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  level?: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of compressZstd(source, { level })) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('compressZstd', () => {
  test('repodata.json.zst decompresses to the same bytes, as a single frame with a checksum', async () => {
    const parsed = await parseBytes(fixture('conda/tests/data/repodata/r_linux-64.json'), {
      subdir: 'linux-64',
    });
    const json = await writeParsed(parsed, 'linux-64');
    const compressed = await compressAll(chunked(json, [16 * 1024]));
    assert.deepEqual(zstdDecompressSync(compressed), json);
    assert.equal(countZstdFrames(compressed), 1);
    assert.equal((compressed[4]! >> 2) & 1, 1, 'content checksum flag');
    assert.ok(compressed.length < json.length / 4, `${compressed.length} of ${json.length} bytes`);
  });

  test('the level is configurable and every level round-trips', async () => {
    const json = fixture('rattler/test-data/channels/pytorch/linux-64/repodata.json');
    const fast = await compressAll(chunked(json, [65536]), 1);
    const small = await compressAll(chunked(json, [65536]), 19);
    assert.ok(small.length < fast.length, `level 19 ${small.length} < level 1 ${fast.length}`);
    assert.deepEqual(zstdDecompressSync(fast), json);
    assert.deepEqual(zstdDecompressSync(small), json);
  });

  test('an empty input is one valid frame', async () => {
    const compressed = await compressAll([]);
    assert.equal(countZstdFrames(compressed), 1);
    assert.equal(zstdDecompressSync(compressed).length, 0);
  });

  test('a failing source fails the compressed stream', async () => {
    async function* failing() {
      yield Buffer.from('{"info":');
      throw new Error('upstream went away');
    }
    await assert.rejects(compressAll(failing()), /upstream went away/);
  });

  test('a consumer that stops early closes the source', async () => {
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; i < 1000; i++) yield Buffer.alloc(64 * 1024, i);
      } finally {
        closed = true;
      }
    }
    for await (const chunk of compressZstd(source())) {
      assert.ok(chunk.length > 0);
      break;
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(closed, true);
  });
});
