import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_TOKEN, startTestApp, type TestApp } from '../../support/test-app.ts';

const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe('/dashboard', () => {
  let t: TestApp;
  let cookie: string;
  before(async () => {
    t = await startTestApp({
      env: { CONDASYNC_API_TOKENS: API_TOKEN, CONDASYNC_UPSTREAM_ALLOW: 'http://127.0.0.1:9/' },
    });
  });
  after(() => t.close());

  it('shows the login form until a valid API token is posted, then sets the admin cookie', async () => {
    for (const url of ['/dashboard', '/dashboard/syncs/new', '/dashboard/list']) {
      const response = await t.app.inject({ url });
      assert.equal(response.statusCode, 401, url);
      assert.match(response.body, /<label for="token">API token<\/label>/);
    }
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/dashboard/login',
      headers: form,
      payload: 'token=nope',
    });
    assert.equal(wrong.statusCode, 401);
    assert.match(wrong.body, /role="alert">That token is not valid/);
    assert.equal(wrong.headers['set-cookie'], undefined);

    const login = await t.app.inject({
      method: 'POST',
      url: '/dashboard/login',
      headers: form,
      payload: `token=${API_TOKEN}`,
    });
    assert.equal(login.statusCode, 303);
    assert.equal(login.headers.location, '/dashboard');
    const setCookie = String(login.headers['set-cookie']);
    assert.match(setCookie, /^condasync_admin=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
    cookie = setCookie.split(';')[0]!;
    const dashboard = await t.app.inject({ url: '/dashboard', headers: { cookie } });
    assert.equal(dashboard.statusCode, 200);
    assert.match(dashboard.body, /<h1>Sync dashboard<\/h1>/);
    // The same cookie opens the BullMQ dashboard.
    assert.equal(
      (await t.app.inject({ url: '/admin/queues/api/queues', headers: { cookie } })).statusCode,
      200,
    );
    assert.ok(!t.logs.text.includes(API_TOKEN), 'the token is not logged');
  });

  it('answers a bad config with the errors POST /v1/syncs gives, each beside its key', async () => {
    const config =
      'channels: [ftp://example.org/x]\nplatfroms: [linux-64]\ndest_channel: ok\nzstd_level: 99\n';
    const rest = await t.app.inject({
      method: 'POST',
      url: '/v1/syncs',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/yaml' },
      payload: config,
    });
    assert.equal(rest.statusCode, 400);
    const details = rest.json().error.details as Array<{ path: string; message: string }>;
    assert.ok(details.length >= 3, JSON.stringify(details));

    const response = await t.app.inject({
      method: 'POST',
      url: '/dashboard/syncs',
      headers: { ...form, cookie },
      payload: new URLSearchParams({ config }).toString(),
    });
    assert.equal(response.statusCode, 400);
    const escaped = (text: string) =>
      text
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;')
        .replace(/'/g, '&#39;');
    for (const detail of details) {
      const key = detail.path.replace(/[.[].*$/, '');
      const line = new RegExp(
        `<li class="bad-line"><code>${key}:[^<]*</code>(<p class="problem"[^>]*>.*?</p>)*?<p class="problem" data-path="${detail.path.replace(/[[\]]/g, '\\$&')}"><strong>[^<]*</strong>: ${escaped(detail.message).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</p>`,
      );
      assert.match(response.body, line, detail.path);
    }
    assert.match(response.body, /aria-invalid="true"/);
    assert.equal(await t.redis.zcard(`${t.queuePrefix}:syncs`), 0, 'nothing was queued');
  });

  it('queues a valid config as POST /v1/syncs does, and cancels it', async () => {
    const config = 'channels: [http://127.0.0.1:9/ch]\nplatforms: [linux-64]\ndest_channel: web-queued\n';
    const submitted = await t.app.inject({
      method: 'POST',
      url: '/dashboard/syncs',
      headers: { ...form, cookie },
      payload: new URLSearchParams({ config }).toString(),
    });
    assert.equal(submitted.statusCode, 303);
    const id = /^\/dashboard\/syncs\/([^/]+)$/.exec(submitted.headers.location as string)![1]!;
    const view = await t.app.inject({
      url: `/v1/syncs/${id}`,
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    assert.equal(view.json().destChannel, 'web-queued');
    assert.equal(view.json().status, 'queued');

    const pageBody = (await t.app.inject({ url: `/dashboard/syncs/${id}`, headers: { cookie } })).body;
    assert.match(pageBody, /data-refresh="\/dashboard\/syncs\/[^"]+\/progress"/);
    assert.match(pageBody, /<script src="\/-\/web\/dashboard\.js" defer><\/script>/);
    assert.match(pageBody, /Cancel this sync/);

    const cancelled = await t.app.inject({
      method: 'POST',
      url: `/dashboard/syncs/${id}/cancel`,
      headers: { cookie },
    });
    assert.equal(cancelled.statusCode, 303);
    const fragment = await t.app.inject({ url: `/dashboard/syncs/${id}/progress`, headers: { cookie } });
    assert.match(fragment.body, /data-ended="yes"/);
    assert.match(fragment.body, /status-cancelled/);
    assert.doesNotMatch(fragment.body, /Cancel this sync/);
    const again = await t.app.inject({
      method: 'POST',
      url: `/dashboard/syncs/${id}/cancel`,
      headers: { cookie },
    });
    assert.equal(again.statusCode, 409);
    assert.match(again.body, /already ended with status cancelled/);
  });

  it('serves its script and stylesheet from its own route, and nothing else there', async () => {
    const script = await t.app.inject({ url: '/-/web/dashboard.js' });
    assert.equal(script.statusCode, 200);
    assert.match(script.headers['content-type'] as string, /^text\/javascript/);
    assert.equal((await t.app.inject({ url: '/-/web/web.css' })).statusCode, 200);
    for (const url of ['/-/web/..%2Findex.ts', '/-/web/index.ts', '/-/web/toString']) {
      assert.equal((await t.app.inject({ url })).statusCode, 404, url);
    }
  });
});
