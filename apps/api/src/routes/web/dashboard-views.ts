import type { SyncView } from '@condasync/queue';
import { TERMINAL_STATUSES } from '@condasync/queue';
import { type Html, html } from './html.ts';
import { formatBytes, timeElement } from './layout.ts';

export interface ConfigProblemView {
  path: string;
  message: string;
}

/** Bytes per second since the sync started (to its end, once it ended). */
function rate(view: SyncView, now: number): string {
  if (view.startedAt === null || view.bytes.downloaded === 0) return '—';
  const end = view.finishedAt === null ? now : Date.parse(view.finishedAt);
  const seconds = Math.max(0.001, (end - Date.parse(view.startedAt)) / 1000);
  return `${formatBytes(view.bytes.downloaded / seconds)}/s`;
}

function percent(done: number, planned: number): number {
  return planned === 0 ? 100 : Math.min(100, Math.round((done / planned) * 100));
}

function statusBadge(status: string): Html {
  return html`<span class="status status-${status}">${status}</span>`;
}

/** The live part of a sync's page; the dashboard script swaps it in place while the sync runs. */
export function progressFragment(view: SyncView, now = Date.now()): Html {
  const ended = TERMINAL_STATUSES.has(view.status);
  const done = view.counts.downloaded + view.counts.failed;
  return html`<div id="progress" data-ended="${ended ? 'yes' : 'no'}">
<p role="status" aria-live="polite">Status: ${statusBadge(view.status)}${
    view.error ? html` — <span class="error-text">${view.error}</span>` : ''
  }</p>
${
  ended
    ? ''
    : html`<form method="post" action="/dashboard/syncs/${view.id}/cancel" class="cancel">
<button type="submit">Cancel this sync</button>
</form>`
}
<dl class="facts">
<dt>Files</dt><dd>${done} of ${view.counts.planned} downloaded or failed; ${view.counts.skipped} already stored; ${view.counts.failed} failed</dd>
<dt>Bytes</dt><dd>${formatBytes(view.bytes.downloaded)} of ${formatBytes(view.bytes.planned)}</dd>
<dt>Rate</dt><dd>${rate(view, now)}</dd>
<dt>Started</dt><dd>${timeElement(view.startedAt)}</dd>
<dt>Finished</dt><dd>${timeElement(view.finishedAt)}</dd>
</dl>
<label for="overall">Overall</label>
<progress id="overall" max="100" value="${percent(done, view.counts.planned)}">${percent(done, view.counts.planned)} %</progress>
<table>
<caption>Per subdir</caption>
<thead><tr><th scope="col">Subdir</th><th scope="col">Status</th><th scope="col">Selected</th><th scope="col">Downloaded</th><th scope="col">Already stored</th><th scope="col">Failed</th><th scope="col">Bytes</th><th scope="col">Published</th></tr></thead>
<tbody>${view.subdirs.map(
    (s) => html`<tr><th scope="row">${s.subdir}</th><td>${s.status}</td><td class="num">${s.selected}</td>
<td class="num">${s.downloaded} / ${s.planned}</td><td class="num">${s.skipped}</td><td class="num">${s.failed}</td>
<td class="num">${formatBytes(s.bytesDownloaded)} / ${formatBytes(s.bytesPlanned)}</td><td class="num">${s.published}</td></tr>`,
  )}</tbody>
</table>
${
  view.failures.length === 0
    ? ''
    : html`<table class="failures">
<caption>Failures (first ${view.failures.length})</caption>
<thead><tr><th scope="col">Subdir</th><th scope="col">File</th><th scope="col">Code</th><th scope="col">Reason</th></tr></thead>
<tbody>${view.failures.map(
        (f) =>
          html`<tr><td>${f.subdir}</td><td><code>${f.filename}</code></td><td>${f.code}</td><td>${f.reason}</td></tr>`,
      )}</tbody>
</table>`
}
</div>`;
}

export function syncList(views: readonly SyncView[]): Html {
  if (views.length === 0) return html`<p>No sync yet.</p>`;
  const running = views.filter((v) => !TERMINAL_STATUSES.has(v.status));
  const recent = views.filter((v) => TERMINAL_STATUSES.has(v.status));
  const table = (caption: string, rows: readonly SyncView[]) =>
    rows.length === 0
      ? html`<p>${caption}: none.</p>`
      : html`<table>
<caption>${caption}</caption>
<thead><tr><th scope="col">Sync</th><th scope="col">Channel</th><th scope="col">Status</th><th scope="col">Files</th><th scope="col">Failed</th><th scope="col">Bytes</th><th scope="col">Created</th></tr></thead>
<tbody>${rows.map(
          (
            v,
          ) => html`<tr><th scope="row"><a href="/dashboard/syncs/${v.id}">${v.id}</a></th><td>${v.destChannel}</td>
<td>${statusBadge(v.status)}</td><td class="num">${v.counts.downloaded} / ${v.counts.planned}</td><td class="num">${v.counts.failed}</td>
<td class="num">${formatBytes(v.bytes.downloaded)}</td><td>${timeElement(v.createdAt)}</td></tr>`,
        )}</tbody>
</table>`;
  return html`${table('Running', running)}${table('Recent', recent)}`;
}

const EXAMPLE = `channels:
  - https://conda.anaconda.org/conda-forge
platforms: [linux-64]
dest_channel: conda-forge
pkg_list: [zlib]
`;

/** The first key of a problem's path (`blacklist[2].version` → `blacklist`). */
const topKey = (path: string): string => /^[^.[]*/.exec(path)?.[0] ?? '';

/**
 * The config form. With problems, the submitted text is shown line by line with each problem
 * beside the top-level key it is about (problems of no key in the text are listed above it).
 */
export function syncForm(text: string | null, problems: readonly ConfigProblemView[]): Html {
  const lines = (text ?? '').replace(/\n+$/, '').split('\n');
  const lineOfKey = new Map<string, number>();
  lines.forEach((line, i) => {
    const key = /^["']?([A-Za-z0-9_]+)["']?\s*:/.exec(line)?.[1];
    if (key !== undefined && !lineOfKey.has(key)) lineOfKey.set(key, i);
  });
  const byLine = new Map<number, ConfigProblemView[]>();
  const unplaced: ConfigProblemView[] = [];
  for (const problem of problems) {
    const line = lineOfKey.get(topKey(problem.path));
    if (line === undefined) unplaced.push(problem);
    else byLine.set(line, [...(byLine.get(line) ?? []), problem]);
  }
  const annotated =
    problems.length === 0
      ? ''
      : html`<section class="problems" id="problems" aria-labelledby="problems-title">
<h2 id="problems-title">${problems.length === 1 ? 'One problem' : `${problems.length} problems`}: nothing was started</h2>
${
  unplaced.length === 0
    ? ''
    : html`<ul>${unplaced.map((p) => html`<li class="problem"><code>${p.path || '(whole config)'}</code>: ${p.message}</li>`)}</ul>`
}
<ol class="config-lines">${lines.map((line, i) => {
          const here = byLine.get(i) ?? [];
          return html`<li${here.length > 0 ? html` class="bad-line"` : ''}><code>${line || ' '}</code>${here.map(
            (p) =>
              html`<p class="problem" data-path="${p.path}"><strong>${p.path}</strong>: ${p.message}</p>`,
          )}</li>`;
        })}</ol>
</section>`;
  return html`${annotated}
<form method="post" action="/dashboard/syncs" class="config-form">
<label for="config">Sync config (YAML or JSON), as for <code>POST /v1/syncs</code></label>
<textarea id="config" name="config" rows="16" cols="80" spellcheck="false" required${
    problems.length > 0 ? html` aria-describedby="problems" aria-invalid="true"` : ''
  }>${text ?? EXAMPLE}</textarea>
<div><button type="submit">Start sync</button></div>
</form>`;
}
