import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FsObjectStore } from '@condasync/storage';
import { Redis } from 'ioredis';
import { testRedisUrl, uniqueTestName } from '../../../test/support/services.ts';
import { CHANNEL_TOKEN } from './support/test-app.ts';

const SCRIPT = path.join(import.meta.dirname, 'support/run-api-server.ts');
const BIG = 'big-1.0-0.conda';
const BIG_SIZE = 24 * 1024 * 1024;

describe('startApiServer (a real process)', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'condasync-api-server-'));
    const store = new FsObjectStore({ root });
    const bytes = randomBytes(BIG_SIZE);
    await store.put(`chan/noarch/${BIG}`, bytes, {
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    await store.close();
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('listens, finishes an in-flight download on SIGTERM, then exits 0 having closed everything', async () => {
    const queuePrefix = uniqueTestName('api-server');
    const child = spawn(process.execPath, [SCRIPT], {
      env: {
        PATH: process.env['PATH'] ?? '',
        PORT: '0',
        HOST: '127.0.0.1',
        CONDASYNC_REDIS_URL: testRedisUrl(),
        CONDASYNC_STORAGE_URL: `file://${root}`,
        CONDASYNC_CHANNEL_TOKENS: CHANNEL_TOKEN,
        // Channel requests get their own log lines at debug (below it they cost more than the answer).
        CONDASYNC_LOG_LEVEL: 'debug',
        CONDASYNC_QUEUE_PREFIX: queuePrefix,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /listening (\S+)/.exec(stderr);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.once('exit', (code) =>
        reject(new Error(`the server exited (${code}) before listening: ${stderr}`)),
      );
    });

    try {
      const live = await fetch(`${url}/livez`);
      assert.equal(live.status, 200);
      // Headers arrive, the body is still on its way when the signal comes.
      const download = await fetch(`${url}/t/${CHANNEL_TOKEN}/conda/chan/noarch/${BIG}`);
      assert.equal(download.status, 200);
      assert.equal(download.headers.get('content-length'), String(BIG_SIZE));
      child.kill('SIGTERM');
      const body = Buffer.from(await download.arrayBuffer());
      assert.equal(body.length, BIG_SIZE, 'the in-flight download completed');
      const code = await Promise.race([
        exited,
        new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 20_000).unref()),
      ]);
      assert.equal(code, 0, `exit code; stderr: ${stderr}`);
    } finally {
      child.kill('SIGKILL');
    }
    const messages = stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    assert.ok(messages.includes('starting the condasync API'));
    assert.ok(messages.includes('shutting down: finishing in-flight requests'));
    assert.ok(messages.includes('shut down'));
    assert.ok(!stdout.includes(CHANNEL_TOKEN), 'the channel token is not logged');
    assert.ok(stdout.includes(`/conda/chan/noarch/${BIG}`), 'the download was logged without it');
    const redis = new Redis(testRedisUrl());
    try {
      const keys = await redis.keys(`${queuePrefix}:*`);
      assert.ok(keys.length > 0, 'the queues live under CONDASYNC_QUEUE_PREFIX');
      await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  });

  it('refuses to start with an invalid environment, listing the problems', async () => {
    const child = spawn(process.execPath, [SCRIPT], {
      env: { PATH: process.env['PATH'] ?? '', PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.notEqual(code, 0);
    assert.match(stderr, /PORT 'eighty' is not an integer/);
    assert.match(stderr, /CONDASYNC_REDIS_URL is required/);
    assert.match(stderr, /CONDASYNC_STORAGE_URL is required/);
  });
});
