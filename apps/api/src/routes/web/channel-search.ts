import { type BrowseIndex, browseIndexEtag, readBrowseIndex } from '@condasync/mirror';
import type { ObjectStore } from '@condasync/storage';

/*
 * Search over a channel's published records, from the browse index finalize writes. Each subdir's
 * index is loaded once and kept while its ETag is unchanged (one HEAD per request), so a page over
 * a 500 k-record subdir is a scan of a few arrays, not a parse of repodata.json.
 */

export interface LoadedSubdir {
  index: BrowseIndex;
  /** Row where each name's records start; `nameStart[names.length]` is the row count. */
  nameStart: Int32Array;
}

export class BrowseIndexCache {
  readonly #store: ObjectStore;
  readonly #loaded = new Map<string, { etag: string; subdir: LoadedSubdir }>();
  constructor(store: ObjectStore) {
    this.#store = store;
  }

  /** The subdir's index, or null when it has none. */
  async get(channel: string, subdir: string): Promise<LoadedSubdir | null> {
    const key = `${channel}/${subdir}`;
    const etag = await browseIndexEtag(this.#store, channel, subdir);
    if (etag === null) {
      this.#loaded.delete(key);
      return null;
    }
    const cached = this.#loaded.get(key);
    if (cached?.etag === etag) return cached.subdir;
    const read = await readBrowseIndex(this.#store, channel, subdir);
    if (read === null) return null;
    const { index } = read;
    const nameStart = new Int32Array(index.names.length + 1);
    let row = 0;
    for (let id = 0; id < index.names.length; id++) {
      nameStart[id] = row;
      while (row < index.name.length && index.name[row] === id) row++;
    }
    nameStart[index.names.length] = index.name.length;
    const subdirView = { index, nameStart };
    this.#loaded.set(key, { etag: read.etag, subdir: subdirView });
    return subdirView;
  }
}

export interface SearchQuery {
  /** Name: a substring, or a glob when it has `*` or `?`. */
  name: string;
  /** Version: a prefix, or a glob when it has `*` or `?`. */
  version: string;
  /** License: a case-insensitive substring. */
  license: string;
}

export interface PackageHit {
  name: string;
  /** Records that match the query, all platforms. */
  records: number;
  /** Newest matching record's version and license, and its upload time. */
  version: string;
  license: string;
  timestamp: number;
  platforms: string[];
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function textMatcher(pattern: string, mode: 'substring' | 'prefix'): ((value: string) => boolean) | null {
  const trimmed = pattern.trim();
  if (trimmed === '') return null;
  if (/[*?]/.test(trimmed)) {
    const regexp = globToRegExp(trimmed);
    return (value) => regexp.test(value);
  }
  const lower = trimmed.toLowerCase();
  return mode === 'prefix'
    ? (value) => value.toLowerCase().startsWith(lower)
    : (value) => value.toLowerCase().includes(lower);
}

/**
 * The package names with at least one record matching `query`, in name order, with `offset` and
 * `limit` applied, and the total number of such names.
 */
export function searchPackages(
  subdirs: readonly LoadedSubdir[],
  query: SearchQuery,
  offset: number,
  limit: number,
): { total: number; hits: PackageHit[] } {
  const nameMatch = textMatcher(query.name, 'substring');
  const versionMatch = textMatcher(query.version, 'prefix');
  const licenseMatch = textMatcher(query.license, 'substring');
  const byName = new Map<string, PackageHit>();
  for (const { index, nameStart } of subdirs) {
    const licenseOk = licenseMatch === null ? null : index.licenses.map((license) => licenseMatch(license));
    for (let id = 0; id < index.names.length; id++) {
      const name = index.names[id] as string;
      if (nameMatch !== null && !nameMatch(name)) continue;
      for (let row = nameStart[id] as number; row < (nameStart[id + 1] as number); row++) {
        if (licenseOk !== null && !licenseOk[index.license[row] as number]) continue;
        if (versionMatch !== null && !versionMatch(index.version[row] as string)) continue;
        const timestamp = index.timestamp[row] as number;
        let hit = byName.get(name);
        if (hit === undefined) {
          hit = { name, records: 0, version: '', license: '', timestamp: -1, platforms: [] };
          byName.set(name, hit);
        }
        hit.records++;
        if (hit.platforms.at(-1) !== index.subdir) hit.platforms.push(index.subdir);
        if (timestamp > hit.timestamp) {
          hit.timestamp = timestamp;
          hit.version = index.version[row] as string;
          hit.license = index.licenses[index.license[row] as number] as string;
        }
      }
    }
  }
  const names = [...byName.keys()].sort();
  return {
    total: names.length,
    hits: names.slice(offset, offset + limit).map((name) => byName.get(name) as PackageHit),
  };
}

/** The name's id in a subdir's index (binary search: names are sorted), or -1. */
export function nameIdOf(index: BrowseIndex, name: string): number {
  let low = 0;
  let high = index.names.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const found = index.names[mid] as string;
    if (found === name) return mid;
    if (found < name) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
}
