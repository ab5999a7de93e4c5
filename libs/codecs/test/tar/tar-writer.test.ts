import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CodecError, CodecErrorCode, TarReader, writeTar } from '../../src/index.ts';

const LIMITS = { maxEntries: 100, maxBytes: 10 * 1024 * 1024 };
const LONG_NAME = `linux-64/${'a-very-long-package-name-'.repeat(6)}1.0-0.conda`;

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const members = () => [
  { path: 'condasync-bundle.json', size: 2, body: Buffer.from('{}') },
  { path: LONG_NAME, size: 5000, body: pieces(Buffer.alloc(5000, 0x42), 333) },
  { path: 'empty', size: 0, body: new Uint8Array(0) },
];

describe('writeTar', () => {
  test('round-trips through TarReader, streaming bodies, long names included', async () => {
    const tar = await collect(writeTar(members()));
    assert.equal(tar.byteLength % 512, 0);
    const reader = new TarReader(pieces(tar, 700), LIMITS);
    const seen: Array<[string, number, number]> = [];
    for (let entry = await reader.next(); entry !== null; entry = await reader.next()) {
      const body = await collect(reader.bodyChunks());
      seen.push([entry.path, entry.size, body.filter((b) => b === 0x42).length]);
    }
    assert.deepEqual(seen, [
      ['condasync-bundle.json', 2, 0],
      [LONG_NAME, 5000, 5000],
      ['empty', 0, 0],
    ]);
  });

  test('reads back with Python tarfile (what conda and users unpack with)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tar-writer-'));
    try {
      const file = join(dir, 'x.tar');
      writeFileSync(file, await collect(writeTar(members())));
      const listing = execFileSync('python3', [
        '-c',
        'import sys,tarfile\nfor m in tarfile.open(sys.argv[1]): print(m.name, m.size)',
        file,
      ]).toString();
      assert.equal(listing, `condasync-bundle.json 2\n${LONG_NAME} 5000\nempty 0\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a body shorter or longer than its declared size stops the archive', async () => {
    for (const body of [Buffer.alloc(3), Buffer.alloc(5)]) {
      await assert.rejects(
        collect(writeTar([{ path: 'x', size: 4, body: pieces(body, 2) }])),
        (error: unknown) => error instanceof CodecError && error.code === CodecErrorCode.MalformedData,
      );
    }
  });

  test('bodyChunks stopped part-way: next() still finds the following entry', async () => {
    const tar = await collect(writeTar(members()));
    const reader = new TarReader(pieces(tar, 100), LIMITS);
    await reader.next();
    await reader.next();
    for await (const _ of reader.bodyChunks()) break;
    assert.equal((await reader.next())?.path, 'empty');
  });
});
