import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_TOKEN, authHeader, startTestApp, type TestApp } from '../../support/test-app.ts';

describe('/admin/queues (bull-board)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { CONDASYNC_API_TOKENS: API_TOKEN } });
  });
  after(() => t.close());

  it('answers 401 without a token or with a wrong one', async () => {
    for (const headers of [
      {},
      authHeader('not-the-right-token-00'),
      { cookie: 'condasync_admin=wrong-token-0000000' },
    ]) {
      const response = await t.app.inject({ url: '/admin/queues', headers });
      assert.equal(response.statusCode, 401, JSON.stringify(headers));
      assert.equal(response.json().error.code, 'UNAUTHORIZED');
      assert.match(response.headers['www-authenticate'] as string, /^Bearer/);
    }
    assert.equal((await t.app.inject({ url: '/admin/queues?token=wrong-token-0000000' })).statusCode, 401);
    assert.equal((await t.app.inject({ url: '/admin/queues/api/queues' })).statusCode, 401);
  });

  it('shows the three queues to a bearer token', async () => {
    const page = await t.app.inject({ url: '/admin/queues', headers: authHeader(API_TOKEN) });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    const api = await t.app.inject({ url: '/admin/queues/api/queues', headers: authHeader(API_TOKEN) });
    assert.equal(api.statusCode, 200);
    const names = (api.json().queues as Array<{ name: string }>).map((queue) => queue.name).sort();
    assert.deepEqual(names, ['condasync-finalize', 'condasync-package', 'condasync-plan']);
  });

  it('lets a browser in with ?token= once: cookie, redirect without the token, token not logged', async () => {
    const entry = await t.app.inject({ url: `/admin/queues?token=${API_TOKEN}&x=1` });
    assert.equal(entry.statusCode, 303);
    assert.equal(entry.headers.location, '/admin/queues?x=1');
    const cookie = String(entry.headers['set-cookie']);
    assert.match(cookie, /^condasync_admin=[^;]+; Path=\/admin\/queues; HttpOnly; SameSite=Strict/);
    const page = await t.app.inject({
      url: '/admin/queues/api/queues',
      headers: { cookie: cookie.split(';')[0]! },
    });
    assert.equal(page.statusCode, 200);
    assert.ok(t.logs.text.includes('token=<redacted>'), 'the request was logged, redacted');
    assert.ok(!t.logs.text.includes(API_TOKEN), 'the token is not in the log');
  });
});
