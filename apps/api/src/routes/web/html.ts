/*
 * Server-rendered HTML with one escaping rule: every value interpolated into `html` is escaped
 * unless it is itself an `Html` made by `html` (or `trustedHtml`, for our own constant markup).
 * Upstream records are hostile input (a license can hold `<script>`), so nothing reaches a page
 * any other way.
 */

export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

const SPECIAL = /[&<>"']/;
const SPECIALS = /[&<>"']/g;

/** Escapes text for element content and quoted attribute values alike. */
export function escapeHtml(value: string): string {
  // Most values (versions, hashes, sizes) have nothing to escape: skip the replace and its closure calls.
  return SPECIAL.test(value) ? value.replace(SPECIALS, (char) => ENTITIES[char] ?? char) : value;
}

type Interpolated = Html | string | number | boolean | null | undefined | readonly Interpolated[];

function render(value: Interpolated): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template: the literal parts are markup, every interpolation is escaped. */
export function html(strings: TemplateStringsArray, ...values: Interpolated[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i] as Interpolated) + (strings[i + 1] ?? '');
  return new Html(out);
}
