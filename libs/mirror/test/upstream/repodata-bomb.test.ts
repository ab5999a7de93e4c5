import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { zstdCompressSync } from 'node:zlib';
import { startFixtureUpstream } from '../../../../test/support/fixture-upstream.ts';
import { MirrorError, MirrorErrorCode } from '../../src/errors.ts';
import { silentLogger } from '../../src/logger.ts';
import { channelSource } from '../../src/upstream/channel-source.ts';
import { UpstreamHttp } from '../../src/upstream/http-client.ts';
import { fetchUpstreamRepodata, type RepodataFetchOptions } from '../../src/upstream/repodata-fetch.ts';
import { scratch } from '../sync-helpers.ts';

const MiB = 1024 * 1024;
/** MAX_UPSTREAM_DOCUMENT_BYTES, as docs/configuration.md states it. */
const MAX_UPSTREAM_DOCUMENT_BYTES = 1024 * MiB;

/**
 * A small .zst that decodes to `{"x":"aaa…"}` of about `mib` MiB: one compressed 64 MiB frame of
 * 'a' repeated (zstd files may hold many frames), between a head and a tail frame.
 */
function jsonBomb(mib: number): Buffer {
  const block = zstdCompressSync(Buffer.alloc(64 * MiB, 'a'));
  const frames = [zstdCompressSync(Buffer.from('{"x":"'))];
  for (let i = 0; i < Math.ceil(mib / 64); i++) frames.push(block);
  frames.push(zstdCompressSync(Buffer.from('"}')));
  return Buffer.concat(frames);
}

async function withBomb(
  bomb: Buffer,
  options: Partial<RepodataFetchOptions>,
  check: (outcome: { error: unknown; cacheFiles: string[]; zstRequests: number }) => void,
): Promise<void> {
  const { dir, cleanup } = await scratch('bomb');
  await mkdir(join(dir, 'channel', 'linux-64'), { recursive: true });
  await writeFile(join(dir, 'channel', 'linux-64', 'repodata.json.zst'), bomb);
  const upstream = await startFixtureUpstream({ root: join(dir, 'channel') });
  const http = new UpstreamHttp();
  try {
    const error = await fetchUpstreamRepodata(channelSource(upstream.channelUrl()), 'linux-64', {
      http,
      cacheDir: join(dir, 'cache'),
      source: 'repodata.json',
      retries: 3,
      deadlineMs: 60_000,
      minBytesPerSecond: 1,
      // What the plan step asks for; the fetch caps it.
      maxBytes: 4 * 1024 ** 3,
      logger: silentLogger,
      ...options,
    }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    const cacheFiles = await listFiles(join(dir, 'cache'));
    check({ error, cacheFiles, zstRequests: upstream.requests.count('linux-64/repodata.json.zst') });
  } finally {
    await http.close();
    await upstream.close();
    await cleanup();
  }
}

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

describe('zstd bombs upstream', () => {
  test('a .zst of zeros is refused at its first bytes, once, and leaves nothing in the cache', async () => {
    const zeros = zstdCompressSync(Buffer.alloc(256 * MiB));
    assert.ok(zeros.byteLength < 64 * 1024);
    await withBomb(zeros, {}, ({ error, cacheFiles, zstRequests }) => {
      assert.ok(error instanceof MirrorError, String(error));
      assert.equal(error.code, MirrorErrorCode.RepodataInvalid);
      assert.match(error.message, /repodata\.json\.zst: not a JSON object \(it starts with byte 0x00\)/);
      assert.equal(error.transient, false);
      assert.equal(zstRequests, 1, 'a permanent failure is not retried');
      assert.deepEqual(cacheFiles, []);
    });
  });

  test(`a document past ${MAX_UPSTREAM_DOCUMENT_BYTES / MiB} MiB decompressed is refused, whatever the caller allows`, async () => {
    await withBomb(
      jsonBomb(MAX_UPSTREAM_DOCUMENT_BYTES / MiB + 64),
      {},
      ({ error, cacheFiles, zstRequests }) => {
        assert.ok(error instanceof MirrorError, String(error));
        assert.match(error.message, /larger than the 1073741824-byte limit once decompressed; refusing it/);
        assert.equal(error.transient, false);
        assert.equal(zstRequests, 1);
        assert.deepEqual(cacheFiles, []);
      },
    );
  });

  test('decompressing counts against the download deadline', async () => {
    await withBomb(jsonBomb(512), { deadlineMs: 400, retries: 0 }, ({ error, cacheFiles }) => {
      assert.ok(error instanceof MirrorError, String(error));
      assert.equal(error.code, MirrorErrorCode.UpstreamTimeout, error.message);
      assert.match(error.message, /not downloaded, decompressed and written within/);
      assert.deepEqual(cacheFiles, []);
    });
  });
});
