import { artifactFormatOf, canonicalJson, compareFilenames } from '@condasync/conda';

/*
 * run_exports.json (CEP 12): `{"info": {...}, "packages": {fn: {"run_exports": {...}}},
 * "packages.conda": {...}}`. It must reflect the archives and must not be patched, so the mirror
 * passes upstream entries through untouched, keeping only the filenames it publishes.
 */

/** One entry as upstream wrote it: `{"run_exports": {"weak": [...], ...}}` (kept verbatim). */
export type RunExportsEntry = Record<string, unknown>;

/** The run_exports entries of one subdir, by filename (both sections together). */
export interface RunExportsDocument {
  /** Upstream `info` of the first channel that has the file. */
  info: Record<string, unknown>;
  entries: Record<string, RunExportsEntry>;
}

const SECTIONS = ['packages', 'packages.conda'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads an upstream run_exports.json, keeping the entries `keep` accepts (filenames are looked up,
 * never trusted: only names the caller already knows as package files pass). Throws a plain Error
 * naming `where` when the document is not a CEP 12 object; entries that are not objects are
 * skipped and counted.
 */
export function parseRunExports(
  text: string,
  where: string,
  keep: (filename: string) => boolean,
): { document: RunExportsDocument; skipped: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${where}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isObject(parsed)) throw new Error(`${where}: expected a JSON object with "packages" maps`);
  const info = parsed.info === undefined || parsed.info === null ? {} : parsed.info;
  if (!isObject(info)) throw new Error(`${where}: "info" must be an object`);
  const entries: Record<string, RunExportsEntry> = Object.create(null);
  let skipped = 0;
  for (const section of SECTIONS) {
    const members = parsed[section];
    if (members === undefined || members === null) continue;
    if (!isObject(members)) throw new Error(`${where}: "${section}" must be an object`);
    for (const [filename, entry] of Object.entries(members)) {
      if (!keep(filename)) continue;
      if (isObject(entry)) entries[filename] = entry;
      else skipped++;
    }
  }
  return { document: { info, entries }, skipped };
}

/** Adds `source`'s entries that `target` lacks (the first channel wins, as for records). */
export function mergeRunExports(
  target: RunExportsDocument | null,
  source: RunExportsDocument,
): RunExportsDocument {
  if (target === null)
    return { info: source.info, entries: Object.assign(Object.create(null), source.entries) };
  for (const [filename, entry] of Object.entries(source.entries)) target.entries[filename] ??= entry;
  return target;
}

/** The document restricted to `filenames` (e.g. the plan's selection). */
export function restrictRunExports(
  document: RunExportsDocument,
  filenames: { has(filename: string): boolean },
): RunExportsDocument {
  const entries: Record<string, RunExportsEntry> = Object.create(null);
  for (const [filename, entry] of Object.entries(document.entries)) {
    if (filenames.has(filename)) entries[filename] = entry;
  }
  return { info: document.info, entries };
}

/**
 * The run_exports.json we publish for `subdir`: upstream `info` with `subdir` set to ours, and the
 * entries of the published filenames only, split by extension, keys sorted at every depth, compact
 * (conda-index's compact form). Published packages upstream had no entry for stay absent: CEP 12
 * clients then read the archive, which is right, while an invented `{}` would be a false claim.
 */
export function runExportsJson(
  subdir: string,
  document: RunExportsDocument,
  published: { has(filename: string): boolean },
): string {
  const packages: Record<string, RunExportsEntry> = Object.create(null);
  const conda: Record<string, RunExportsEntry> = Object.create(null);
  const names = Object.keys(document.entries)
    .filter((filename) => published.has(filename))
    .sort(compareFilenames);
  for (const filename of names) {
    (artifactFormatOf(filename) === 'conda' ? conda : packages)[filename] = document.entries[filename]!;
  }
  return canonicalJson({
    info: { ...document.info, subdir },
    packages,
    'packages.conda': conda,
  });
}
