import type { FastifyReply } from 'fastify';
import { type Html, html } from './html.ts';

/** Served from our own route; the pages carry no inline script or style. */
export const ASSET_PATH = '/-/web';

/*
 * No inline script, style or plugin; forms post only to us; no framing. Token URLs put a channel
 * token in the page URL, so no Referer ever carries it elsewhere.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export interface PageOptions {
  title: string;
  /** Breadcrumb links before the title: [label, href]. */
  crumbs?: Array<[string, string]>;
  /** Scripts under ASSET_PATH to load (deferred). */
  scripts?: string[];
  /** Extra markup for <head> (e.g. a <noscript> refresh). */
  head?: Html;
  status?: number;
  /** A link to the dashboard (or to log out) in the header. */
  nav?: Html;
}

export function sendPage(reply: FastifyReply, options: PageOptions, body: Html): FastifyReply {
  const crumbs = options.crumbs ?? [];
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · condasync</title>
<link rel="stylesheet" href="${ASSET_PATH}/web.css">
${(options.scripts ?? []).map((name) => html`<script src="${ASSET_PATH}/${name}" defer></script>`)}
${options.head}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<nav aria-label="Breadcrumb"><a href="/">condasync</a>${crumbs.map(([label, href]) => html` / <a href="${href}">${label}</a>`)}</nav>
${options.nav ?? html`<a href="/dashboard">Sync dashboard</a>`}
</header>
<main id="main">
<h1>${options.title}</h1>
${body}
</main>
</body>
</html>
`;
  return reply
    .code(options.status ?? 200)
    .headers(SECURITY_HEADERS)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(page.text);
}

export const securityHeaders = SECURITY_HEADERS;

/** True when a browser asks for a page rather than a client for a file. */
export function wantsHtml(accept: string | undefined): boolean {
  return accept !== undefined && /\btext\/html\b/i.test(accept);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

/** A `<time>` element (UTC, to the minute) for an epoch-ms or ISO value; '—' when unknown. */
export function timeElement(value: number | string | null | undefined): Html {
  if (value === null || value === undefined || value === 0) return html`<span>—</span>`;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return html`<span>—</span>`;
  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}
