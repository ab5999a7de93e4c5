import { SYNC_ID_PATTERN } from '@condasync/queue';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken } from '../../plugins/auth.ts';
import { ADMIN_COOKIE, cookieToken } from '../admin/index.ts';
import { type ConfigProblemView, progressFragment, syncForm, syncList } from './dashboard-views.ts';
import { html } from './html.ts';
import { type PageOptions, securityHeaders, sendPage } from './layout.ts';

const LOGIN_NAV = html`<a href="/">Channels</a>`;
const LOGOUT_NAV = html`<form method="post" action="/dashboard/logout" class="inline"><button type="submit">Log out</button></form>`;

/**
 * `/dashboard`: running and recent syncs with live progress, cancel, and a form that submits a
 * sync config. Behind the API tokens, like /admin/queues and with its cookie (HttpOnly,
 * SameSite=Strict, so no other site can post these forms with it). Submit and cancel go through
 * `POST /v1/syncs` and `DELETE /v1/syncs/:id` themselves, so validation, upstream policy and
 * answers are exactly the REST API's. (Schedules, once they exist, get a section here.)
 */
export default async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  // Forms post application/x-www-form-urlencoded; only this plugin's routes accept it.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 512 * 1024 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  const tokensOn = () => app.apiConfig.apiTokens.length > 0;
  const presentedToken = (request: FastifyRequest) => cookieToken(request) ?? bearerToken(request);
  const authorized = (request: FastifyRequest) => !tokensOn() || app.isApiToken(presentedToken(request));
  const page = (reply: FastifyReply, options: PageOptions, body: ReturnType<typeof html>) =>
    sendPage(reply, { nav: tokensOn() ? LOGOUT_NAV : LOGIN_NAV, ...options }, body);
  const loginPage = (reply: FastifyReply, status: number, message: string | null) =>
    sendPage(
      reply,
      { title: 'Log in', status, nav: LOGIN_NAV },
      html`${message === null ? '' : html`<p class="problem" role="alert">${message}</p>`}
<form method="post" action="/dashboard/login" class="login">
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form>`,
    );
  /** The bearer header that lets an injected /v1 request act as the logged-in user. */
  const asUser = (request: FastifyRequest): Record<string, string> => {
    const token = presentedToken(request);
    return tokensOn() && token !== undefined ? { authorization: `Bearer ${token}` } : {};
  };

  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/dashboard/login') || authorized(request)) return;
    if (request.method === 'GET' && request.url.includes('/progress'))
      return reply.code(401).headers(securityHeaders).send({ error: 'log in again' });
    return loginPage(reply, 401, presentedToken(request) === undefined ? null : 'That token is not valid.');
  });

  app.get('/dashboard/login', async (_request, reply) => loginPage(reply, 200, null));
  app.post<{ Body: { token?: string } }>('/dashboard/login', async (request, reply) => {
    const token = typeof request.body?.token === 'string' ? request.body.token.trim() : '';
    if (!app.isApiToken(token)) return loginPage(reply, 401, 'That token is not valid.');
    const secure = request.protocol === 'https' ? '; Secure' : '';
    return reply
      .header(
        'set-cookie',
        `${ADMIN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict${secure}`,
      )
      .redirect('/dashboard', 303);
  });
  app.post('/dashboard/logout', async (_request, reply) =>
    reply
      .header('set-cookie', `${ADMIN_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`)
      .redirect('/dashboard/login', 303),
  );

  app.get('/dashboard', async (_request, reply) => {
    const { items } = await app.syncRegistry.list({ limit: 50 });
    return page(
      reply,
      { title: 'Sync dashboard', scripts: ['dashboard.js'] },
      html`<p><a class="button" href="/dashboard/syncs/new">New sync</a> <a href="/admin/queues">Queues (BullMQ)</a></p>
<div id="sync-list" data-refresh="/dashboard/list" data-interval="5000">${syncList(items)}</div>`,
    );
  });
  app.get('/dashboard/list', async (_request, reply) => {
    const { items } = await app.syncRegistry.list({ limit: 50 });
    return reply.headers(securityHeaders).type('text/html; charset=utf-8').send(syncList(items).text);
  });

  app.get('/dashboard/syncs/new', async (_request, reply) =>
    page(reply, { title: 'New sync', crumbs: [['dashboard', '/dashboard']] }, syncForm(null, [])),
  );
  app.post<{ Body: { config?: string } }>('/dashboard/syncs', async (request, reply) => {
    const text = typeof request.body?.config === 'string' ? request.body.config.replace(/\r\n/g, '\n') : '';
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/syncs',
      headers: { ...asUser(request), 'content-type': 'application/yaml' },
      payload: text,
    });
    if (answer.statusCode === 202) {
      const { id } = answer.json() as { id: string };
      return reply.redirect(`/dashboard/syncs/${id}`, 303);
    }
    let error: { message?: string; details?: ConfigProblemView[] } = {};
    try {
      error = (answer.json() as { error?: typeof error }).error ?? {};
    } catch {
      // A non-JSON answer: the status alone says what happened.
    }
    const problems = error.details?.length
      ? error.details
      : [{ path: '', message: error.message ?? `HTTP ${answer.statusCode}` }];
    return page(
      reply,
      { title: 'New sync', crumbs: [['dashboard', '/dashboard']], status: answer.statusCode },
      syncForm(text, problems),
    );
  });

  const viewOf = async (id: string) => (SYNC_ID_PATTERN.test(id) ? app.syncRegistry.get(id) : null);
  app.get<{ Params: { id: string } }>('/dashboard/syncs/:id', async (request, reply) => {
    const view = await viewOf(request.params.id);
    if (view === null)
      return page(
        reply,
        { title: 'No such sync', status: 404 },
        html`<p><a href="/dashboard">All syncs</a></p>`,
      );
    return page(
      reply,
      {
        title: `Sync ${view.id}`,
        crumbs: [['dashboard', '/dashboard']],
        scripts: ['dashboard.js'],
        head: html`<noscript><meta http-equiv="refresh" content="5"></noscript>`,
      },
      html`<p>Channel <a href="/conda/${view.destChannel}/">${view.destChannel}</a></p>
<div data-refresh="/dashboard/syncs/${view.id}/progress">${progressFragment(view)}</div>`,
    );
  });
  app.get<{ Params: { id: string } }>('/dashboard/syncs/:id/progress', async (request, reply) => {
    const view = await viewOf(request.params.id);
    if (view === null) return reply.code(404).send({ error: 'no such sync' });
    return reply.headers(securityHeaders).type('text/html; charset=utf-8').send(progressFragment(view).text);
  });
  app.post<{ Params: { id: string } }>('/dashboard/syncs/:id/cancel', async (request, reply) => {
    const { id } = request.params;
    const answer = await app.inject({
      method: 'DELETE',
      url: `/v1/syncs/${encodeURIComponent(id)}`,
      headers: asUser(request),
    });
    if (answer.statusCode === 202) return reply.redirect(`/dashboard/syncs/${id}`, 303);
    const message =
      (answer.json() as { error?: { message?: string } }).error?.message ?? `HTTP ${answer.statusCode}`;
    return page(
      reply,
      { title: 'Cannot cancel', status: answer.statusCode, crumbs: [['dashboard', '/dashboard']] },
      html`<p class="problem" role="alert">${message}</p><p><a href="/dashboard/syncs/${id}">Back to the sync</a></p>`,
    );
  });
}
