import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startFixtureUpstream } from '../../../../test/support/fixture-upstream.ts';
import { MirrorError } from '../../src/errors.ts';
import { channelFileUrl, channelSource } from '../../src/upstream/channel-source.ts';
import { UpstreamHttp } from '../../src/upstream/http-client.ts';
import { scratch } from '../sync-helpers.ts';

const FILENAME = 'vendored-tool-2.0.1+local.7-h0_0.conda';
const BYTES = Buffer.from('the package bytes');

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('package URLs with a + in the filename', () => {
  test('are spelt as conda and rattler spell them', () => {
    const channel = channelSource('https://h.org/c');
    assert.equal(channelFileUrl(channel, 'noarch', FILENAME), `https://h.org/c/noarch/${FILENAME}`);
    assert.equal(
      channelFileUrl(channel, 'noarch', 'a b#c?.conda'),
      'https://h.org/c/noarch/a%20b%23c%3F.conda',
    );
  });

  for (const [plusInPaths, requests] of [
    ['standard', 1],
    ['keep-encoded-plus', 1],
    ['plus-as-space', 2],
  ] as const) {
    test(`are fetched from an upstream that reads + as ${plusInPaths} (${requests} request(s))`, async () => {
      const { dir, cleanup } = await scratch('plus');
      await mkdir(join(dir, 'noarch'), { recursive: true });
      await writeFile(join(dir, 'noarch', FILENAME), BYTES);
      const upstream = await startFixtureUpstream({ root: dir, plusInPaths });
      const http = new UpstreamHttp();
      try {
        const url = channelFileUrl(channelSource(upstream.channelUrl()), 'noarch', FILENAME);
        const response = await http.request(url, { deadlineMs: 5_000, minBytesPerSecond: 1 });
        assert.equal(response.status, 200);
        assert.deepEqual(await readAll(response.body), BYTES);
        assert.equal(upstream.requests.total, requests);
      } finally {
        await http.close();
        await upstream.close();
        await cleanup();
      }
    });
  }

  test('a file missing under both spellings is a 404 after exactly two requests', async () => {
    const { dir, cleanup } = await scratch('plus-missing');
    await mkdir(join(dir, 'noarch'), { recursive: true });
    const upstream = await startFixtureUpstream({ root: dir });
    const http = new UpstreamHttp();
    try {
      const url = channelFileUrl(channelSource(upstream.channelUrl()), 'noarch', FILENAME);
      await assert.rejects(http.request(url, { deadlineMs: 5_000, minBytesPerSecond: 1 }), (error) => {
        assert.ok(error instanceof MirrorError);
        assert.match(error.message, /answered HTTP 404/);
        assert.equal(error.transient, false);
        return true;
      });
      assert.equal(upstream.requests.total, 2);
    } finally {
      await http.close();
      await upstream.close();
      await cleanup();
    }
  });
});
