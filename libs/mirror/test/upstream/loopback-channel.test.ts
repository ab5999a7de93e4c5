import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type LoopbackChannel, serveChannelFolder } from '../../src/upstream/loopback-channel.ts';

/** A raw request, so that `..` in the path reaches the server as written (fetch would normalise it). */
function rawRequest(base: string, method: string, path: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serveChannelFolder', () => {
  let dir: string;
  let channel: LoopbackChannel;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'condasync-loopback-'));
    await mkdir(join(dir, 'channel', 'noarch'), { recursive: true });
    await writeFile(join(dir, 'channel', 'noarch', 'repodata.json'), '{"packages": {}}');
    await writeFile(join(dir, 'secret.txt'), 'outside the channel');
    channel = await serveChannelFolder(pathToFileURL(join(dir, 'channel')).href);
  });
  after(async () => {
    await channel.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('serves files of the folder on loopback, GET and HEAD', async () => {
    assert.match(channel.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.deepEqual(await rawRequest(channel.url, 'GET', '/noarch/repodata.json'), {
      status: 200,
      body: '{"packages": {}}',
    });
    assert.deepEqual(await rawRequest(channel.url, 'HEAD', '/noarch/repodata.json'), {
      status: 200,
      body: '',
    });
  });

  test('answers 404 for missing files, folders and anything outside the folder', async () => {
    for (const path of [
      '/noarch/repodata.json.zst',
      '/noarch',
      '/',
      '/../secret.txt',
      '/%2e%2e/secret.txt',
    ]) {
      assert.equal((await rawRequest(channel.url, 'GET', path)).status, 404, path);
    }
  });

  test('refuses methods other than GET and HEAD, and malformed paths', async () => {
    assert.equal((await rawRequest(channel.url, 'PUT', '/noarch/repodata.json')).status, 405);
    assert.equal((await rawRequest(channel.url, 'GET', '/%E0%A4%A')).status, 400);
  });

  test('stops listening when closed', async () => {
    const other = await serveChannelFolder(pathToFileURL(dir).href);
    await other.close();
    await assert.rejects(rawRequest(other.url, 'GET', '/secret.txt'), /ECONNREFUSED/);
  });
});
