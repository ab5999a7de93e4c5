import { type BrowseSummary, listBrowseSummaries, readBrowseDetails } from '@condasync/mirror';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { urlTokenOf } from '../conda/token-url.ts';
import { BrowseIndexCache, type LoadedSubdir, nameIdOf, searchPackages } from './channel-search.ts';
import { type Html, html } from './html.ts';
import { formatBytes, sendPage, timeElement, wantsHtml } from './layout.ts';
import { channelUpstreams } from './upstreams.ts';

const PAGE_SIZE = 50;
/** What dest_channel allows: no '/', no leading '.', so never '..' or '.condasync'. */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
const PACKAGE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,254}$/;

interface ChannelQuery {
  q?: string;
  version?: string;
  platform?: string;
  license?: string;
  page?: string;
}

/** `/t/<token>` when the page was opened through a token URL, so every link keeps working. */
function tokenPrefix(request: FastifyRequest): string {
  const token = urlTokenOf(request.raw);
  return token === undefined ? '' : `/t/${token}`;
}

function origin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

const queryText = (value: unknown): string => (typeof value === 'string' ? value.slice(0, 200) : '');

/** Channel list, channel page with search, package page: public like the channels. */
export default async function channelPages(app: FastifyInstance): Promise<void> {
  const cache = new BrowseIndexCache(app.store);

  const notFoundPage = (reply: FastifyReply, what: string) =>
    sendPage(
      reply,
      { title: 'Not found', status: 404 },
      html`<p>${what}</p><p><a href="/">All channels</a></p>`,
    );

  const channelList = async (request: FastifyRequest, reply: FastifyReply) => {
    const prefix = tokenPrefix(request);
    const byChannel = new Map<string, BrowseSummary[]>();
    for (const summary of await listBrowseSummaries(app.store)) {
      byChannel.set(summary.channel, [...(byChannel.get(summary.channel) ?? []), summary]);
    }
    const rows = [...byChannel].map(([channel, subdirs]) => {
      const records = subdirs.reduce((sum, s) => sum + s.records, 0);
      const bytes = subdirs.reduce((sum, s) => sum + s.bytes, 0);
      const last =
        subdirs
          .map((s) => s.publishedAt)
          .sort()
          .at(-1) ?? null;
      return html`<tr>
<th scope="row"><a href="${prefix}/conda/${channel}/">${channel}</a></th>
<td>${subdirs.map((s) => s.subdir).join(', ')}</td>
<td class="num">${records.toLocaleString('en')}</td>
<td class="num">${formatBytes(bytes)}</td>
<td>${timeElement(last)}</td>
</tr>`;
    });
    const body =
      rows.length === 0
        ? html`<p>No channel is published yet. Submit a sync from the <a href="/dashboard">dashboard</a> or with <code>POST /v1/syncs</code>.</p>`
        : html`<table>
<caption>Mirrored channels</caption>
<thead><tr><th scope="col">Channel</th><th scope="col">Subdirs</th><th scope="col">Package files</th><th scope="col">Size</th><th scope="col">Last successful sync</th></tr></thead>
<tbody>${rows}</tbody>
</table>
</div>`;
    return sendPage(reply, { title: 'Channels' }, body);
  };

  /** Every subdir of the channel with a browse index. */
  const loadChannel = async (channel: string) => {
    const summaries = await listBrowseSummaries(app.store, channel);
    const subdirs: LoadedSubdir[] = [];
    for (const summary of summaries) {
      const loaded = await cache.get(channel, summary.subdir);
      if (loaded !== null) subdirs.push(loaded);
    }
    return { summaries, subdirs };
  };

  const htmlOnly =
    (handler: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      // Conda clients never ask for these URLs as text/html; to them they stay exactly the 404 they were.
      if (!wantsHtml(request.headers.accept)) return reply.callNotFound();
      return handler(request, reply);
    };

  const tokenForm = (reply: FastifyReply, message: string | null) =>
    sendPage(
      reply,
      { title: 'Channels', status: 401 },
      html`${message === null ? '' : html`<p class="problem" role="alert">${message}</p>`}
<p>The channels on this server need a channel token. Browse them at <code>/t/&lt;token&gt;/conda/</code>, or:</p>
<form method="get" action="/" class="login">
<label for="token">Channel token</label>
<input id="token" name="token" type="password" required>
<button type="submit">Browse</button>
</form>`,
    );

  /** The /conda/ routes' channel-token check; a browser that fails it gets the token form, not JSON. */
  const requireChannelToken = async (request: FastifyRequest, reply: FastifyReply) => {
    // Not a browser: the handler answers the plain 404 these URLs always gave, token or not.
    if (!wantsHtml(request.headers.accept)) return;
    try {
      await app.requireChannelToken(request);
    } catch {
      return tokenForm(
        reply,
        urlTokenOf(request.raw) === undefined ? null : 'That channel token is not valid.',
      );
    }
  };

  // `/` has no token URL form: with channel tokens on, it asks for one and moves to
  // /t/<token>/conda/, where the usual check (constant time) decides.
  app.get<{ Querystring: { token?: string } }>('/', async (request, reply) => {
    if (app.apiConfig.channelTokens.length === 0) return channelList(request, reply);
    const token = queryText((request.query as { token?: string }).token).trim();
    if (/^[A-Za-z0-9-]+$/.test(token)) return reply.redirect(`/t/${token}/conda/`, 303);
    return tokenForm(reply, token === '' ? null : 'That channel token is not valid.');
  });
  app.get('/conda', { onRequest: requireChannelToken }, htmlOnly(channelList));

  app.get<{ Params: { channel: string }; Querystring: ChannelQuery }>(
    '/conda/:channel',
    { onRequest: requireChannelToken },
    htmlOnly(async (request, reply) => {
      const { channel } = request.params as { channel: string };
      const query = request.query as ChannelQuery;
      if (!SEGMENT.test(channel)) return notFoundPage(reply, 'That is not a channel name.');
      const { summaries, subdirs } = await loadChannel(channel);
      if (summaries.length === 0)
        return notFoundPage(reply, `No channel named ${channel} is published here.`);
      const prefix = tokenPrefix(request);
      const search = {
        name: queryText(query.q),
        version: queryText(query.version),
        license: queryText(query.license),
      };
      const platform = queryText(query.platform);
      const chosen = platform === '' ? subdirs : subdirs.filter((s) => s.index.subdir === platform);
      const pageNumber = Math.max(1, Number.parseInt(queryText(query.page), 10) || 1);
      const { total, hits } = searchPackages(chosen, search, (pageNumber - 1) * PAGE_SIZE, PAGE_SIZE);
      const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
      const channelUrl = `${origin(request)}${prefix}/conda/${channel}`;
      const pageLink = (n: number): string => {
        const params = new URLSearchParams({ ...(search.name ? { q: search.name } : {}) });
        if (search.version) params.set('version', search.version);
        if (platform) params.set('platform', platform);
        if (search.license) params.set('license', search.license);
        params.set('page', String(n));
        return `${prefix}/conda/${channel}/?${params}`;
      };
      const body = html`
<p>${summaries.reduce((sum, s) => sum + s.records, 0).toLocaleString('en')} files in ${summaries.length} subdirs,
${formatBytes(summaries.reduce((sum, s) => sum + s.bytes, 0))}; last successful sync ${timeElement(
        summaries
          .map((s) => s.publishedAt)
          .sort()
          .at(-1) ?? null,
      )}.</p>
${condarcSnippet(channelUrl)}
<form class="search" method="get" action="${prefix}/conda/${channel}/" role="search">
<div><label for="q">Name</label><input id="q" name="q" value="${search.name}" placeholder="numpy or py*"></div>
<div><label for="version">Version</label><input id="version" name="version" value="${search.version}" placeholder="1.26 or 1.*"></div>
<div><label for="platform">Platform</label><select id="platform" name="platform">
<option value="">all</option>
${summaries.map((s) => html`<option value="${s.subdir}"${s.subdir === platform ? html` selected` : ''}>${s.subdir}</option>`)}
</select></div>
<div><label for="license">License</label><input id="license" name="license" value="${search.license}" placeholder="BSD"></div>
<div><button type="submit">Search</button></div>
</form>
<table>
<caption>${total.toLocaleString('en')} package${total === 1 ? '' : 's'} — page ${pageNumber} of ${pages}</caption>
<thead><tr><th scope="col">Package</th><th scope="col">Latest version</th><th scope="col">Files</th><th scope="col">Platforms</th><th scope="col">License</th><th scope="col">Uploaded</th></tr></thead>
<tbody>
${hits.map(
  (hit) => html`<tr>
<th scope="row"><a href="${prefix}/conda/${channel}/-/packages/${encodeURIComponent(hit.name)}">${hit.name}</a></th>
<td>${hit.version}</td><td class="num">${hit.records}</td><td>${hit.platforms.join(', ')}</td>
<td>${hit.license}</td><td>${timeElement(hit.timestamp)}</td>
</tr>`,
)}
</tbody>
</table>
${pager(pageNumber, pages, pageLink)}`;
      return sendPage(reply, { title: channel, crumbs: [['channels', '/']] }, body);
    }),
  );

  app.get<{ Params: { channel: string; name: string } }>(
    '/conda/:channel/-/packages/:name',
    { onRequest: requireChannelToken },
    htmlOnly(async (request, reply) => {
      const { channel, name } = request.params as { channel: string; name: string };
      if (!SEGMENT.test(channel) || !PACKAGE_NAME.test(name)) return notFoundPage(reply, 'No such package.');
      const { subdirs } = await loadChannel(channel);
      const prefix = tokenPrefix(request);
      const rows: Html[] = [];
      let files = 0;
      for (const subdir of subdirs) {
        const id = nameIdOf(subdir.index, name);
        if (id < 0) continue;
        for (const record of await readBrowseDetails(app.store, channel, subdir.index, id)) {
          files++;
          rows.push(html`<tr>
<th scope="row"><a href="${prefix}/conda/${channel}/${subdir.index.subdir}/${record.fn}" download>${record.fn}</a></th>
<td>${record.version}</td><td>${record.build}</td><td>${subdir.index.subdir}</td>
<td class="num">${formatBytes(record.size)}</td>
<td>${record.license}${record.license_family ? html` <span class="muted">(${record.license_family})</span>` : ''}</td>
<td>${timeElement(record.timestamp)}</td>
<td>${
            record.depends.length === 0
              ? html`<span class="muted">none</span>`
              : html`<details><summary>${record.depends.length} ${record.depends.length === 1 ? 'dependency' : 'dependencies'}</summary><ul>${record.depends.map(
                  (dep) => html`<li><code>${dep}</code></li>`,
                )}</ul>${
                  record.constrains.length === 0
                    ? ''
                    : html`<p>Constrains:</p><ul>${record.constrains.map((c) => html`<li><code>${c}</code></li>`)}</ul>`
                }</details>`
          }</td>
<td><code class="hash">${record.sha256 ?? (record.md5 ? `md5 ${record.md5}` : '—')}</code></td>
</tr>`);
        }
      }
      if (files === 0) return notFoundPage(reply, `Channel ${channel} publishes no package named ${name}.`);
      const upstreams = await channelUpstreams(app.syncRegistry, channel);
      const body = html`
<p>${files} file${files === 1 ? '' : 's'}. Mirrored from ${
        upstreams === null || upstreams.length === 0
          ? html`<span class="muted">an upstream this server no longer has a record of</span>`
          : html`${upstreams.map((url, i) => html`${i > 0 ? ', then ' : ''}<code>${url}</code>`)}${
              upstreams.length > 1 ? ' (each file from the first that has it)' : ''
            }`
      }.</p>
<p>Install: <code>conda install -c ${origin(request)}${prefix}/conda/${channel} ${name}</code></p>
<div class="scroll" tabindex="0" role="region" aria-label="Files of ${name}">
<table class="files">
<caption>Every version, build and platform</caption>
<thead><tr><th scope="col">File</th><th scope="col">Version</th><th scope="col">Build</th><th scope="col">Platform</th><th scope="col">Size</th><th scope="col">License</th><th scope="col">Uploaded</th><th scope="col">Depends</th><th scope="col">sha256</th></tr></thead>
<tbody>${rows}</tbody>
</table>
</div>`;
      return sendPage(
        reply,
        {
          title: name,
          crumbs: [
            ['channels', '/'],
            [channel, `${prefix}/conda/${channel}/`],
          ],
        },
        body,
      );
    }),
  );
}

function condarcSnippet(channelUrl: string): Html {
  return html`<section aria-labelledby="condarc-title">
<h2 id="condarc-title">Use this channel</h2>
<p>Add it to <code>~/.condarc</code> (select the text to copy):</p>
<pre class="snippet" tabindex="0" aria-label=".condarc snippet"><code>channels:
  - ${channelUrl}</code></pre>
</section>`;
}

function pager(page: number, pages: number, link: (n: number) => string): Html {
  if (pages <= 1) return html``;
  return html`<nav class="pager" aria-label="Pages">
${page > 1 ? html`<a href="${link(page - 1)}" rel="prev">Previous</a>` : ''}
<span>Page ${page} of ${pages}</span>
${page < pages ? html`<a href="${link(page + 1)}" rel="next">Next</a>` : ''}
</nav>`;
}
