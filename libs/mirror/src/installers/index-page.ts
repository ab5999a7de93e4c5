/*
 * The index pages of Anaconda's installer folders (repo.anaconda.com/archive/, /miniconda/): an
 * HTML table with a row per installer — a link to the file, its size (rounded: "1.0G", "74.3M"),
 * its last-modified time and its SHA256 (older pages also an MD5). The page is the only manifest
 * upstream publishes, so it is parsed strictly enough that a row is either fully understood or
 * skipped with a reason, and never guessed.
 */

/** An installer's size as the page shows it: exact bytes, or a rounded figure with a unit. */
export interface ListedSize {
  /** The figure in bytes (for a rounded size, the figure times its unit). */
  bytes: number;
  /** True when the page gave plain bytes; false for "74.3M" style figures. */
  exact: boolean;
  text: string;
}

/** One installer row of an index page. */
export interface InstallerEntry {
  filename: string;
  size: ListedSize;
  /** As the page prints it (e.g. `2024-10-23 10:38:13`), or null when the column is absent. */
  lastModified: string | null;
  /** Lowercase hex. */
  sha256: string;
  md5?: string;
}

/** A row that names a file but cannot be verified (no sha256, odd name or size): never mirrored. */
export interface SkippedRow {
  filename: string;
  reason: string;
}

export interface InstallerIndex {
  entries: InstallerEntry[];
  skipped: SkippedRow[];
}

/** What a file served from an installer folder may be called: no path, no leading '.', no odd bytes. */
export const INSTALLER_FILENAME = /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,254}$/;
const SHA256 = /^[0-9a-f]{64}$/i;
const MD5 = /^[0-9a-f]{32}$/i;
const ROUNDED_SIZE = /^(\d+(?:\.\d+)?)\s*([KMGT])(?:i?B)?$/i;
const EXACT_SIZE = /^\d+$/;
const UNIT_EXPONENT: Readonly<Record<string, number>> = { K: 1, M: 2, G: 3, T: 4 };

/** "1.0G" → about 1 GiB (inexact), "123456" → exactly 123456; null for anything else. */
export function parseListedSize(text: string): ListedSize | null {
  const trimmed = text.trim();
  if (EXACT_SIZE.test(trimmed)) {
    const bytes = Number(trimmed);
    return Number.isSafeInteger(bytes) ? { bytes, exact: true, text: trimmed } : null;
  }
  const rounded = ROUNDED_SIZE.exec(trimmed);
  if (rounded === null) return null;
  const exponent = UNIT_EXPONENT[rounded[2]!.toUpperCase()]!;
  return { bytes: Math.round(Number(rounded[1]) * 1024 ** exponent), exact: false, text: trimmed };
}

/**
 * Whether `actual` bytes can be what the page's size says. Exact sizes must match; a rounded one
 * must lie within one unit of its last printed digit, in 1024- or 1000-based units (pages differ,
 * and the sha256 is the real check anyway: this only catches a wildly wrong Content-Length early).
 */
export function sizeAgrees(size: ListedSize, actual: number): boolean {
  if (size.exact) return actual === size.bytes;
  const rounded = ROUNDED_SIZE.exec(size.text);
  if (rounded === null) return false;
  const figure = Number(rounded[1]);
  const decimals = rounded[1]!.split('.')[1]?.length ?? 0;
  const exponent = UNIT_EXPONENT[rounded[2]!.toUpperCase()]!;
  const step = 10 ** -decimals;
  return [1024, 1000].some((base) => {
    const unit = base ** exponent;
    return Math.abs(actual - figure * unit) <= step * unit;
  });
}

/** Parses an installer folder's index page. Rows without a link (the header, the parent link) are ignored. */
export function parseInstallerIndex(html: string): InstallerIndex {
  const entries: InstallerEntry[] = [];
  const skipped: SkippedRow[] = [];
  const seen = new Set<string>();
  let columns: ColumnMap | null = null;
  for (const row of tableRows(html)) {
    const headers = cellsOf(row, 'th');
    if (headers.length > 0) {
      columns = columnMap(headers.map(plainText));
      continue;
    }
    const cells = cellsOf(row, 'td');
    const href = cells.length > 0 ? linkTarget(cells[0]!) : null;
    if (href === null || href.startsWith('../') || href === '..' || href.startsWith('?')) continue;
    const filename = safeDecode(href);
    if (filename === null || !INSTALLER_FILENAME.test(filename)) {
      skipped.push({ filename: href, reason: 'the link is not a plain file name in this folder' });
      continue;
    }
    if (seen.has(filename)) {
      skipped.push({ filename, reason: 'listed twice on the page; the first row is used' });
      continue;
    }
    const parsed = parseRow(filename, cells.map(plainText), columns);
    if ('reason' in parsed) skipped.push(parsed);
    else {
      seen.add(filename);
      entries.push(parsed);
    }
  }
  return { entries, skipped };
}

interface ColumnMap {
  size: number | null;
  lastModified: number | null;
  sha256: number | null;
  md5: number | null;
}

function columnMap(headers: string[]): ColumnMap {
  const find = (test: (header: string) => boolean): number | null => {
    const index = headers.findIndex((header) => test(header.toLowerCase()));
    return index < 0 ? null : index;
  };
  return {
    size: find((h) => h === 'size'),
    lastModified: find((h) => h.includes('modified') || h === 'date'),
    sha256: find((h) => h.replace(/[^a-z0-9]/g, '') === 'sha256'),
    md5: find((h) => h === 'md5'),
  };
}

function parseRow(filename: string, texts: string[], columns: ColumnMap | null): InstallerEntry | SkippedRow {
  // Without a header row the cells are recognised by their shape: a 64-hex cell is the sha256.
  const at = (index: number | null | undefined): string | undefined =>
    index === null || index === undefined ? undefined : texts[index];
  const sha256Text = columns?.sha256 != null ? at(columns.sha256) : texts.find((t) => SHA256.test(t));
  if (sha256Text === undefined || !SHA256.test(sha256Text)) {
    return { filename, reason: 'the page lists no sha256 for it, so it cannot be verified' };
  }
  const sizeText = columns?.size != null ? at(columns.size) : texts[1];
  const size = sizeText === undefined ? null : parseListedSize(sizeText);
  if (size === null) {
    return { filename, reason: `the page's size ${JSON.stringify(sizeText ?? '')} is not a size` };
  }
  const md5Text = columns?.md5 != null ? at(columns.md5) : texts.find((t) => MD5.test(t));
  const lastModified = columns?.lastModified != null ? (at(columns.lastModified) ?? null) : null;
  const entry: InstallerEntry = { filename, size, lastModified, sha256: sha256Text.toLowerCase() };
  if (md5Text !== undefined && MD5.test(md5Text)) entry.md5 = md5Text.toLowerCase();
  return entry;
}

function* tableRows(html: string): Generator<string> {
  const rows = /<tr\b[^>]*>([\s\S]*?)(?=<tr\b|<\/table>|$)/gi;
  for (const match of html.matchAll(rows)) yield match[1]!;
}

function cellsOf(row: string, tag: 'td' | 'th'): string[] {
  const cells = new RegExp(`<${tag}\\b[^>]*>([\\s\\S]*?)(?=<t[dh]\\b|<\\/tr>|$)`, 'gi');
  return [...row.matchAll(cells)].map((match) => match[1]!.replace(new RegExp(`</${tag}>\\s*$`, 'i'), ''));
}

function linkTarget(cell: string): string | null {
  const match = /<a\b[^>]*\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(cell);
  if (match === null) return null;
  return decodeEntities(match[1] ?? match[2] ?? match[3] ?? '').trim();
}

function plainText(cell: string): string {
  return decodeEntities(cell.replace(/<[^>]*>/g, ''))
    .replace(/\s+/g, ' ')
    .trim();
}

const ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code =
        name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

function safeDecode(href: string): string | null {
  try {
    return decodeURIComponent(href);
  } catch {
    return null;
  }
}
