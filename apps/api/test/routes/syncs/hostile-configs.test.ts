import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_TOKEN, authHeader, startTestApp, type TestApp } from '../../support/test-app.ts';

const post = (payload: string, contentType = 'application/yaml') => ({
  method: 'POST' as const,
  url: '/v1/syncs',
  payload,
  headers: { 'content-type': contentType, ...authHeader(API_TOKEN) },
});

describe('POST /v1/syncs with configs built to cost the API', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { CONDASYNC_API_TOKENS: API_TOKEN } });
  });
  after(() => t.close());

  it('answers a 250 000-character unknown key at once, briefly, while /livez stays answering', async () => {
    const key = `platform${'s'.repeat(250_000)}`;
    const started = Date.now();
    const [response, livez] = await Promise.all([
      t.app.inject(post(JSON.stringify({ [key]: ['linux-64'] }), 'application/json')),
      t.app.inject({ method: 'GET', url: '/livez' }),
    ]);
    const elapsed = Date.now() - started;
    assert.equal(response.statusCode, 400);
    assert.equal(livez.statusCode, 200);
    assert.ok(response.body.length < 2_000, `answer of ${response.body.length} bytes`);
    // Before the bound this took ~5 s of one core; the margin is wide for a shared machine.
    assert.ok(elapsed < 2_500, `took ${elapsed} ms`);
  });

  it('answers 20 000 unknown keys with a bounded list', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `k${i}: 1`).join('\n');
    const response = await t.app.inject(post(lines));
    assert.equal(response.statusCode, 400);
    const body = response.json() as { error: { message: string; details: unknown[] } };
    assert.equal(body.error.details.length, 50);
    assert.ok(response.body.length < 16_000, `answer of ${response.body.length} bytes`);
  });

  it('names __proto__ and constructor as unknown keys, without leaking JavaScript internals', async () => {
    const response = await t.app.inject(post('constructor: x\n__proto__: y\nchannels: [conda-forge]\n'));
    assert.equal(response.statusCode, 400);
    assert.doesNotMatch(response.body, /native code|function|\[object/);
    assert.match(response.body, /unknown key 'constructor'/);
  });
});
