/*
 * RFC 9110 byte ranges and validators, just the parts conda, mamba and rattler use: a single
 * `bytes=` range (resumed downloads, conda-package-streaming's partial reads), If-None-Match
 * (weak comparison), If-Modified-Since, and Accept-Encoding for gzip.
 */

export type RangeRequest = { start: number; end?: number } | { suffix: number };

/**
 * Parses a `Range` header. Returns null when the request should be answered in full: no header,
 * another unit, several ranges, or a malformed one (RFC 9110 §14.2: a server may ignore those).
 */
export function parseRange(header: string | undefined): RangeRequest | null {
  if (header === undefined) return null;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (match === null) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  if (first === '') return { suffix: Number(last) };
  const start = Number(first);
  if (last === '') return { start };
  const end = Number(last);
  if (end < start || !Number.isSafeInteger(end)) return null;
  return { start, end };
}

/** The inclusive byte span of `range` in an object of `size` bytes, or null when unsatisfiable (416). */
export function resolveRange(range: RangeRequest, size: number): { start: number; end: number } | null {
  if ('suffix' in range) {
    if (range.suffix === 0 || size === 0) return null;
    return { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  if (!Number.isSafeInteger(range.start) || range.start >= size) return null;
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) };
}

/** The entity-tag without the weakness marker, for weak comparison. */
const opaque = (tag: string): string => tag.trim().replace(/^W\//, '');

/** True when an `If-None-Match` header matches any of `etags` (weak comparison, `*` matches all). */
export function ifNoneMatchHits(header: string, etags: readonly string[]): boolean {
  if (header.trim() === '*') return true;
  const wanted = new Set(etags.map(opaque));
  // Entity-tags are quoted and may contain commas only inside quotes.
  const tags = header.match(/(?:W\/)?"[^"]*"/g) ?? [];
  return tags.some((tag) => wanted.has(opaque(tag)));
}

/** True when the object has not changed since an `If-Modified-Since` date (second precision). */
export function notModifiedSince(header: string, lastModified: Date): boolean {
  const since = Date.parse(header);
  if (Number.isNaN(since)) return false;
  return Math.floor(lastModified.getTime() / 1000) <= Math.floor(since / 1000);
}

/** True when `Accept-Encoding` admits gzip: listed (or `*`) with a q-value above 0. */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.split(';').map((item) => item.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    weights.set(coding === 'x-gzip' ? 'gzip' : coding, q === undefined ? 1 : Number(q.slice(2)) || 0);
  }
  return (weights.get('gzip') ?? weights.get('*') ?? 0) > 0;
}

/** The ETag of the gzip representation: weak (zlib output is not byte-stable) and distinct. */
export function gzipEtag(etag: string): string {
  return `W/"${opaque(etag).replace(/^"|"$/g, '')}-gzip"`;
}
