import type { MatchSpecObject } from '../matchspec/index.ts';

/** The record fields the sync-config filters look at (a subset of a repodata record). */
export interface FilterableRecord {
  name: string;
  version: string;
  build: string;
  build_number: number;
  depends?: string[];
  license?: string | null;
  license_family?: string | null;
  subdir?: string;
}

/** Records of the mirrored subdirs: subdir → filename → record. Include `noarch` when mirroring it. */
export type SubdirRecords = ReadonlyMap<string, ReadonlyMap<string, FilterableRecord>>;

/** A blacklist/whitelist/pkg_list entry: name, `*` glob, MatchSpec string or conda-mirror style object. */
export type FilterEntry = string | MatchSpecObject;

/** The package-selection keys of a sync config, camel-cased. */
export interface FilterRules {
  pkgList?: string[] | null;
  includeDependencies?: boolean;
  pythonVersions?: string[] | null;
  licenseBlacklist?: string[];
  blacklist?: FilterEntry[];
  whitelist?: FilterEntry[];
}

/** Why a record was left out. Each left-out record counts under exactly one reason. */
export const ExcludeReason = {
  License: 'license',
  Python: 'python',
  Blacklist: 'blacklist',
  NotInPkgList: 'not-in-pkg-list',
} as const;
export type ExcludeReason = (typeof ExcludeReason)[keyof typeof ExcludeReason];

/** A dependency of a selected record that no eligible record in its resolution scope satisfies. */
export interface UnresolvedDependency {
  subdir: string;
  filename: string;
  spec: string;
}

export interface FilterResult {
  /** subdir → filenames to mirror; every input subdir has an entry, possibly empty. */
  selected: Map<string, Set<string>>;
  excluded: Record<ExcludeReason, number>;
  /** Sorted by subdir, filename, spec. Only computed when includeDependencies is on. */
  unresolved: UnresolvedDependency[];
}
