// With Redis gone, /v1 answers 503 at once instead of hanging for as long as Redis is away, and a
// submission the API refused never runs once Redis is back (ioredis' offline queue would replay it).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { type RestartableRedis, startRestartableRedis } from '../../../../test/support/restartable-redis.ts';
import { uniqueTestName } from '../../../../test/support/services.ts';
import { buildApp, loadApiConfig } from '../../src/index.ts';
import { API_TOKEN, authHeader } from '../support/test-app.ts';

const upstream = 'http://127.0.0.1:9/conda-forge';
const syncYaml = `channels: [${upstream}]\nplatforms: [linux-64]\npkg_list: [six]\n`;

async function waitFor(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

describe('the API with Redis gone', () => {
  let redis: RestartableRedis;
  let scratch: string;
  let app: FastifyInstance;
  before(async () => {
    redis = await startRestartableRedis();
    scratch = await mkdtemp(path.join(tmpdir(), 'condasync-api-redis-down-'));
    const config = loadApiConfig({
      CONDASYNC_REDIS_URL: redis.url,
      CONDASYNC_STORAGE_URL: `file://${scratch}`,
      CONDASYNC_API_TOKENS: API_TOKEN,
      CONDASYNC_UPSTREAM_ALLOW: 'http://127.0.0.1:9/',
    });
    // No connection handed in: the app opens its own, as `condasync api` does.
    app = buildApp({ config, queuePrefix: uniqueTestName('redis-down'), logger: false });
    await app.ready();
    await waitFor('Redis is connected', () => app.redis.status === 'ready');
  });
  after(async () => {
    await app.close();
    await redis.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  const post = () =>
    app.inject({
      method: 'POST',
      url: '/v1/syncs',
      headers: { ...authHeader(API_TOKEN), 'content-type': 'application/yaml' },
      payload: syncYaml,
    });
  const list = () => app.inject({ method: 'GET', url: '/v1/syncs', headers: authHeader(API_TOKEN) });

  test('answers 503 within a second, and runs nothing it refused once Redis is back', async () => {
    assert.equal((await list()).statusCode, 200);
    await redis.kill();
    await waitFor('the API notices', () => app.redis.status !== 'ready');

    for (const [name, request] of [
      ['GET /v1/syncs', list],
      ['POST /v1/syncs', post],
    ] as const) {
      const started = performance.now();
      // Without the fail-fast connection the request waits for Redis: give up after 5 s instead.
      const response = await Promise.race([
        request(),
        sleep(5000).then(() => assert.fail(`${name} still waits for Redis after 5 s`)),
      ]);
      const ms = performance.now() - started;
      assert.equal(response.statusCode, 503, `${name}: ${response.body}`);
      assert.equal(response.json().error.code, 'NOT_READY', name);
      assert.equal(response.headers['retry-after'], '5', name);
      assert.ok(ms < 1000, `${name} took ${Math.round(ms)} ms`);
    }

    await redis.start();
    await waitFor('the API reconnects', () => app.redis.status === 'ready');
    // Long enough for a replayed command to have created the refused sync.
    await sleep(1000);
    const after = await list();
    assert.equal(after.statusCode, 200, after.body);
    assert.deepEqual(after.json().items, [], 'the refused POST created a sync after all');
  });
});
