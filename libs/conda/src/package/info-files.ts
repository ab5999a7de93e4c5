import { type TarEntry, TarEntryType, type TarReader } from '@condasync/codecs';
import { archiveLimitExceeded, invalidArchive } from './archive-error.ts';
import type { ArchiveInfo } from './types.ts';

/** The info files the index reads, as in conda-index's `extract_to_cache_unconditional`. */
const INDEX_JSON = 'info/index.json';
const ABOUT_JSON = 'info/about.json';
const RUN_EXPORTS_JSON = 'info/run_exports.json';
const PATHS_JSON = 'info/paths.json';
const WANTED = new Set([INDEX_JSON, ABOUT_JSON, RUN_EXPORTS_JSON, PATHS_JSON]);

/** Cap on one JSON info file held in memory (real about.json files are a few KiB). */
const MAX_JSON_FILE_BYTES = 16 * 1024 * 1024;

export type InfoFiles = Omit<ArchiveInfo, 'md5' | 'sha256' | 'size'>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(bytes: Uint8Array, path: string, what: string): unknown {
  try {
    // fatal: a file that is not UTF-8 is corrupt, not something to guess at; a BOM is dropped.
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw invalidArchive(what, `"${path}" is not valid JSON: ${(cause as Error).message}`, cause);
  }
}

function isInInfo(path: string): boolean {
  return path === 'info' || path.startsWith('info/');
}

/**
 * Refuses what would make the info files mean something else than a client extracting the package
 * sees: links in info/ (a symlinked `info/index.json` would alias another member) and a wanted
 * file that is not a regular file or appears twice (tar extraction keeps the last copy).
 */
function checkEntry(entry: TarEntry, seen: Set<string>, what: string): void {
  if (isInInfo(entry.path) && (entry.type === TarEntryType.Symlink || entry.type === TarEntryType.Hardlink)) {
    throw invalidArchive(
      what,
      `member "${entry.path}" is a ${entry.type} (to ${JSON.stringify(entry.linkTarget)}); links are not allowed in info/`,
    );
  }
  if (!WANTED.has(entry.path)) return;
  if (entry.type !== TarEntryType.File) {
    throw invalidArchive(what, `member "${entry.path}" is a ${entry.type}, expected a regular file`);
  }
  if (seen.has(entry.path)) throw invalidArchive(what, `member "${entry.path}" appears twice`);
  seen.add(entry.path);
}

/**
 * Reads entries until index.json, about.json, run_exports.json and paths.json have all been seen
 * (then stops, like conda-index), or until the first member outside info/ once index.json has
 * been seen, or the end. conda-build and conda-package-handling write info/ first, so that member
 * means the rest is payload: most packages have no run_exports.json, and conda-index would
 * decompress their whole payload looking for it. (A .conda's info tarball holds only info/.)
 * paths.json is only measured, never read.
 */
export async function collectInfoFiles(tar: TarReader, what: string): Promise<InfoFiles> {
  const seen = new Set<string>();
  let indexJson: Record<string, unknown> | undefined;
  const found: Partial<InfoFiles> = {};
  for (let entry = await tar.next(); entry !== null; entry = await tar.next()) {
    checkEntry(entry, seen, what);
    if (indexJson !== undefined && !isInInfo(entry.path)) break;
    if (!WANTED.has(entry.path)) continue;
    if (entry.path === PATHS_JSON) {
      found.pathsJsonSize = entry.size;
    } else {
      if (entry.size > MAX_JSON_FILE_BYTES) {
        throw archiveLimitExceeded(
          what,
          `"${entry.path}" is ${entry.size} bytes (limit ${MAX_JSON_FILE_BYTES})`,
        );
      }
      const value = parseJson(await tar.readBody(MAX_JSON_FILE_BYTES), entry.path, what);
      if (entry.path === RUN_EXPORTS_JSON) {
        if (!isPlainObject(value) && !Array.isArray(value)) {
          throw invalidArchive(what, `"${entry.path}" must hold an object or a list`);
        }
        found.runExports = value;
      } else if (!isPlainObject(value)) {
        throw invalidArchive(what, `"${entry.path}" must hold a JSON object`);
      } else if (entry.path === INDEX_JSON) {
        indexJson = value;
      } else {
        found.aboutJson = value;
      }
    }
    if (seen.size === WANTED.size) break;
  }
  if (indexJson === undefined) throw invalidArchive(what, `has no "${INDEX_JSON}"`);
  return { indexJson, ...found };
}
