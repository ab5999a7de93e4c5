import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { testPython } from '../../../../test/support/services.ts';
import { Bzip2Encoder, compressBzip2, compressBzip2Sync, decompressBzip2 } from '../../src/index.ts';

const FIXTURES = join(import.meta.dirname, '../../../../test/fixtures/conda-test-data');
const R_REPODATA = readFileSync(join(FIXTURES, 'conda/tests/data/repodata/r_linux-64.json'));

/** Decompresses with CPython's bz2 module (libbz2), the reference decoder. */
function pythonDecompress(compressed: Uint8Array): Buffer {
  const script = 'import bz2,sys; sys.stdout.buffer.write(bz2.decompress(sys.stdin.buffer.read()))';
  const result = spawnSync(testPython(), ['-c', script], { input: compressed, maxBuffer: 1 << 30 });
  assert.equal(result.status, 0, `python bz2 refused the stream: ${result.stderr}`);
  return result.stdout;
}

async function ourDecompress(compressed: Uint8Array): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of decompressBzip2(
    (async function* () {
      yield compressed;
    })(),
  ))
    parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/** Occurrences of a hex pattern at any bit offset (bzip2 blocks are not byte-aligned). */
function countBitAligned(bytes: Uint8Array, hex: string): number {
  const bits = Array.from(bytes, (byte) => byte.toString(2).padStart(8, '0')).join('');
  const pattern = BigInt(`0x${hex}`)
    .toString(2)
    .padStart(hex.length * 4, '0');
  return bits.split(pattern).length - 1;
}

async function compressChunks(chunks: Uint8Array[], level?: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of compressBzip2(chunks, level === undefined ? {} : { level })) parts.push(part);
  return Buffer.concat(parts);
}

/** Inputs that exercise each stage: runs at the 4/255 edges, every byte value, incompressible data. */
const CASES: Record<string, Uint8Array> = {
  empty: new Uint8Array(0),
  'one byte': Uint8Array.of(0x41),
  'runs of 1 to 260': Buffer.concat(Array.from({ length: 260 }, (_, i) => Buffer.alloc(i + 1, i % 3))),
  'every byte value': Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff),
  periodic: Buffer.from('abc'.repeat(50_000)),
  random: randomBytes(150_000),
  'repodata.json': R_REPODATA.subarray(0, 400_000),
};

describe('compressBzip2', () => {
  test('libbz2 (via Python) and our decoder restore every input exactly', async () => {
    for (const [name, data] of Object.entries(CASES)) {
      const compressed = await compressChunks([data], 1);
      assert.deepEqual(pythonDecompress(compressed), Buffer.from(data), `${name}: python`);
      assert.deepEqual(await ourDecompress(compressed), Buffer.from(data), `${name}: ours`);
    }
  });

  test('spans many blocks, with runs at the block edges, at level 1', async () => {
    // 640 kB of long runs and noise; each block ends where the next run would not fit.
    const data = Buffer.concat(
      Array.from({ length: 64 }, (_, i) =>
        Buffer.concat([Buffer.alloc(5_000 + i, 0x61 + (i % 5)), randomBytes(5_000)]),
      ),
    );
    const compressed = await compressChunks([data], 1);
    // About 326 kB after stage one's run coding: four blocks, each opened by the 48-bit magic.
    assert.equal(countBitAligned(compressed, '314159265359'), 4);
    assert.deepEqual(pythonDecompress(compressed), data);
  });

  test('compresses repodata.json about as well as bzip2 itself', async () => {
    const compressed = await compressChunks([R_REPODATA]);
    assert.deepEqual(pythonDecompress(compressed), R_REPODATA);
    // `bzip2 -9` makes 303,275 bytes of this 2,464,525-byte file.
    assert.ok(compressed.length < 310_000, `${compressed.length} bytes`);
    assert.equal(compressed.subarray(0, 4).toString('latin1'), 'BZh9');
  });

  test('gives the same bytes however the input is chunked', async () => {
    const data = R_REPODATA.subarray(0, 300_000);
    const whole = await compressChunks([data], 2);
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < data.length; i += 997) pieces.push(data.subarray(i, i + 997));
    assert.deepEqual(await compressChunks(pieces, 2), whole);
    assert.deepEqual(Buffer.from(compressBzip2Sync(data, { level: 2 })), whole);
  });

  test('writes the empty stream bzip2 writes', async () => {
    assert.deepEqual(
      await compressChunks([]),
      Buffer.from([0x42, 0x5a, 0x68, 0x39, 0x17, 0x72, 0x45, 0x38, 0x50, 0x90, 0, 0, 0, 0]),
    );
  });

  test('refuses a level outside 1–9 and use after end', () => {
    for (const level of [0, 10, 2.5]) {
      assert.throws(() => new Bzip2Encoder({ level }), /bzip2 level must be an integer from 1 to 9/);
    }
    const encoder = new Bzip2Encoder();
    encoder.end();
    assert.throws(() => encoder.write(Uint8Array.of(1)), /already ended/);
  });
});
