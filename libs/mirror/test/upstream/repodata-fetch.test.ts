import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { zstdCompressSync } from 'node:zlib';
import { startFixtureUpstream } from '../../../../test/support/fixture-upstream.ts';
import { silentLogger } from '../../src/logger.ts';
import { channelSource } from '../../src/upstream/channel-source.ts';
import { UpstreamHttp } from '../../src/upstream/http-client.ts';
import { fetchUpstreamRepodata } from '../../src/upstream/repodata-fetch.ts';
import { scratch, testRecipes } from '../sync-helpers.ts';

// zstd files may hold several frames (pzstd and streaming writers make them); Node's own zstd
// stream stops after the first one, which would silently truncate the repodata.
test('a multi-frame repodata.json.zst upstream is read whole, then revalidated with 304', async () => {
  const { dir, cleanup } = await scratch('multiframe');
  try {
    const json = await readFile(join(testRecipes, 'noarch', 'repodata.json'));
    const half = Math.floor(json.byteLength / 2);
    await mkdir(join(dir, 'channel', 'noarch'), { recursive: true });
    await writeFile(
      join(dir, 'channel', 'noarch', 'repodata.json.zst'),
      Buffer.concat([zstdCompressSync(json.subarray(0, half)), zstdCompressSync(json.subarray(half))]),
    );
    const upstream = await startFixtureUpstream({ root: join(dir, 'channel') });
    const http = new UpstreamHttp();
    try {
      const options = {
        http,
        cacheDir: join(dir, 'cache'),
        source: 'repodata.json' as const,
        retries: 0,
        deadlineMs: 10_000,
        minBytesPerSecond: 1,
        maxBytes: 64 * 1024 * 1024,
        logger: silentLogger,
      };
      const fetched = await fetchUpstreamRepodata(channelSource(upstream.channelUrl()), 'noarch', options);
      assert.ok(fetched);
      assert.deepEqual(await readFile(fetched.path), json);
      const again = await fetchUpstreamRepodata(channelSource(upstream.channelUrl()), 'noarch', options);
      assert.equal(again?.fromCache, true);
      assert.equal(upstream.requests.count('noarch/repodata.json'), 0, 'the .zst was enough');
    } finally {
      await http.close();
      await upstream.close();
    }
  } finally {
    await cleanup();
  }
});
