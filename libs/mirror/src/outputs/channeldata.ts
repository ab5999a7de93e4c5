import { canonicalJson, compareFilenames, compareVersions, type PackageRecordJson } from '@condasync/conda';

/*
 * channeldata.json (CEP 38) as conda-index builds it (`ChannelIndex._update_channeldata`), from
 * what a mirror has: the published repodata records and, where the upstream had one, the
 * published run_exports.json. conda-index also reads each archive's about.json, recipe, paths.json,
 * scripts and icon; those fields cannot be filled here:
 *   - `activate.d`, `deactivate.d`, `pre_link`, `post_link`, `pre_unlink`, `binary_prefix`,
 *     `text_prefix` (from info/files and paths.json): written `false`, which is also what
 *     conda-index writes when it finds nothing, because CEP 38 requires them;
 *   - `description`, `dev_url`, `doc_url`, `doc_source_url`, `home`, `summary`, `source_url`,
 *     `source_git_url`, `icon_url`, `icon_hash`, `tags`, `identifiers`, `keywords`,
 *     `recipe_origin` (about.json, recipe, icon): written only when a record carries them (rare);
 *   - `run_exports` per version: filled from run_exports.json entries, `{}` without one.
 * From the records: `version` (the newest, conda version order), `license` (and any of the fields
 * above a record has), `subdirs`, `timestamp` (the newest, in seconds) and the channel `subdirs`.
 */

/** Fields conda-index keeps "from the newest record that has them" (its `_replace_if_newer_and_present`). */
const NEWEST_FIELDS = [
  'description',
  'dev_url',
  'doc_url',
  'doc_source_url',
  'home',
  'license',
  'source_url',
  'source_git_url',
  'summary',
  'icon_url',
  'icon_hash',
  'tags',
  'identifiers',
  'keywords',
  'recipe_origin',
  'version',
] as const;

/** Archive facts conda-index ORs over builds; a record never has them, so they stay false. */
const FLAG_FIELDS = [
  'binary_prefix',
  'text_prefix',
  'activate.d',
  'deactivate.d',
  'pre_link',
  'post_link',
  'pre_unlink',
] as const;

export const CHANNELDATA_VERSION = 1;

/** The newest record of one (name, version) in one subdir: what conda-index folds in. */
interface Candidate {
  filename: string;
  name: string;
  version: string;
  timestamp: number;
  fields: Record<string, unknown>;
  runExports: Record<string, unknown> | undefined;
}

type PackageData = Record<string, unknown> & { subdirs: string[]; run_exports: Record<string, unknown> };

/** Python truthiness of a JSON value, which decides "present" in conda-index. */
function truthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** conda-index's `_make_seconds`: timestamps past year 9999 in seconds are milliseconds. */
export function toSeconds(timestamp: unknown): number {
  const value = typeof timestamp === 'number' && Number.isFinite(timestamp) ? Math.trunc(timestamp) : 0;
  return value > 253_402_300_799 ? Math.floor(value / 1000) : value;
}

function isNewerVersion(a: string, b: string): boolean {
  try {
    return compareVersions(a, b) > 0;
  } catch {
    return false;
  }
}

/**
 * Accumulates channeldata over subdirs. Feed the subdirs in sorted order (the result depends on the
 * order, as conda-index's does), then call `toJson`.
 */
export class ChannelDataBuilder {
  readonly #packages = new Map<string, PackageData>();
  readonly #subdirs = new Set<string>();

  /**
   * Adds one subdir's published records. `runExports` maps filenames to run_exports.json entries
   * (`{"run_exports": {...}}`). A `.tar.bz2` with a `.conda` twin is skipped, as conda-index does.
   */
  async addSubdir(
    subdir: string,
    records:
      | Iterable<[filename: string, record: PackageRecordJson]>
      | AsyncIterable<[filename: string, record: PackageRecordJson]>,
    runExports: Readonly<Record<string, unknown>> = {},
  ): Promise<void> {
    this.#subdirs.add(subdir);
    const conda: Candidate[] = [];
    const legacy: Candidate[] = [];
    for await (const [filename, record] of records) {
      const fields: Record<string, unknown> = {};
      for (const key of NEWEST_FIELDS) if (truthy(record[key])) fields[key] = record[key];
      const entry = runExports[filename];
      const exports =
        typeof entry === 'object' && entry !== null
          ? (entry as Record<string, unknown>).run_exports
          : undefined;
      const candidate: Candidate = {
        filename,
        name: record.name,
        version: typeof record.version === 'string' ? record.version : '0',
        timestamp: typeof record.timestamp === 'number' ? record.timestamp : 0,
        fields,
        runExports: truthy(exports) ? (exports as Record<string, unknown>) : undefined,
      };
      (filename.endsWith('.conda') ? conda : legacy).push(candidate);
    }
    const condaStems = new Set(conda.map((c) => c.filename.slice(0, -'.conda'.length)));
    const ordered = [
      ...conda.sort((a, b) => compareFilenames(a.filename, b.filename)),
      ...legacy
        .filter((c) => !condaStems.has(c.filename.slice(0, -'.tar.bz2'.length)))
        .sort((a, b) => compareFilenames(a.filename, b.filename)),
    ];
    // Newest (by timestamp) record of each (name, version); the first one seen wins a tie.
    const newest = new Map<string, Candidate>();
    for (const candidate of ordered) {
      const key = `${candidate.name}\u0000${candidate.version}`;
      const existing = newest.get(key);
      if (existing === undefined || existing.timestamp < candidate.timestamp) newest.set(key, candidate);
    }
    for (const candidate of newest.values()) this.#fold(subdir, candidate);
  }

  #fold(subdir: string, data: Candidate): void {
    const existing = this.#packages.get(data.name);
    const existingVersion = typeof existing?.version === 'string' ? existing.version : '0';
    const existingSeconds = toSeconds(existing?.timestamp);
    const dataNewer =
      isNewerVersion(data.version, existingVersion) ||
      (data.version === existingVersion && toSeconds(data.timestamp) > existingSeconds);
    const fields: Record<string, unknown> = { ...data.fields, version: data.version };
    const next: PackageData = { subdirs: [], run_exports: {} };
    for (const key of NEWEST_FIELDS) {
      const value =
        truthy(fields[key]) && (dataNewer || !truthy(existing?.[key])) ? fields[key] : existing?.[key];
      if (value !== undefined && value !== null) next[key] = value;
    }
    for (const key of FLAG_FIELDS) next[key] = existing?.[key] === true;
    next.subdirs = [...new Set([...(existing?.subdirs ?? []), subdir])].sort(compareFilenames);
    // One run_exports entry per version, since they vary by version.
    next.run_exports = Object.assign(Object.create(null), existing?.run_exports);
    if (data.runExports !== undefined) next.run_exports[data.version] = data.runExports;
    // CEP 38: the most recent timestamp of all records of the name, in seconds.
    next.timestamp = Math.max(existingSeconds, toSeconds(data.timestamp));
    this.#packages.set(data.name, next);
  }

  /** Package names seen so far. */
  get packageCount(): number {
    return this.#packages.size;
  }

  /** The document: packages by name, every key sorted, as compact canonical JSON. */
  toJson(): string {
    // No prototype: `__proto__` is a valid package name.
    const packages: Record<string, PackageData> = Object.create(null);
    for (const name of [...this.#packages.keys()].sort(compareFilenames))
      packages[name] = this.#packages.get(name)!;
    return canonicalJson({
      channeldata_version: CHANNELDATA_VERSION,
      packages,
      subdirs: [...this.#subdirs].sort(compareFilenames),
    });
  }
}
