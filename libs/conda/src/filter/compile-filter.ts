import { CondaError } from '../errors.ts';
import { EligibleIndex, type IndexedRecord } from './eligible-index.ts';
import { EntryMatcher } from './entry-matcher.ts';
import { type LicenseFamily, licenseFamiliesOf } from './license-family.ts';
import { leadingName, PythonVersionFilter } from './python-versions.ts';
import type {
  FilterableRecord,
  FilterResult,
  FilterRules,
  SubdirRecords,
  UnresolvedDependency,
} from './types.ts';
import { ExcludeReason } from './types.ts';
import { type ValidatedRules, validateRules } from './validate-rules.ts';

/** Compiled sync-config package filter; see ./index.ts for the semantics. Reusable across subdirs/runs. */
export class PackageFilter {
  readonly rules: ValidatedRules;
  readonly #blacklist: EntryMatcher;
  readonly #whitelist: EntryMatcher;
  readonly #roots: EntryMatcher | null;
  readonly #licenseBlacklist: ReadonlySet<LicenseFamily>;
  readonly #python: PythonVersionFilter | null;
  readonly #licenseVerdicts = new Map<string, boolean>();

  constructor(rules: ValidatedRules) {
    this.rules = rules;
    this.#blacklist = new EntryMatcher(rules.blacklist);
    this.#whitelist = new EntryMatcher(rules.whitelist);
    this.#roots = rules.pkgList === null ? null : new EntryMatcher(rules.pkgList);
    this.#licenseBlacklist = new Set(rules.licenseBlacklist);
    this.#python = rules.pythonVersions === null ? null : new PythonVersionFilter(rules.pythonVersions);
  }

  /**
   * Null when the record is eligible, otherwise the first rule that removed it (python, then license,
   * then blacklist). A whitelisted record is always eligible.
   */
  ineligibleReason(record: FilterableRecord, subdir: string): ExcludeReason | null {
    let reason: ExcludeReason | null = null;
    if (this.#python !== null && !this.#python.accepts(record, subdir)) reason = ExcludeReason.Python;
    else if (this.#licenseBlocked(record)) reason = ExcludeReason.License;
    else if (!this.#blacklist.isEmpty && this.#blacklist.matches(record)) reason = ExcludeReason.Blacklist;
    if (reason !== null && !this.#whitelist.isEmpty && this.#whitelist.matches(record)) return null;
    return reason;
  }

  /**
   * `ineligibleReason` for a caller that filters while it reads (record by record, holding only the
   * eligible ones): a CondaError names the record's subdir and filename, as `select` does.
   */
  ineligibleReasonOf(record: FilterableRecord, subdir: string, filename: string): ExcludeReason | null {
    try {
      return this.ineligibleReason(record, subdir);
    } catch (error) {
      throw withRecordContext(subdir, filename, error);
    }
  }

  /**
   * Whether `select` needs the records themselves, or the eligible ones are exactly the selection
   * (no pkg_list roots to match, no dependency closure to walk).
   */
  get selectsAllEligible(): boolean {
    return this.rules.pkgList === null && !this.rules.includeDependencies;
  }

  /** Applies the rules to the mirrored subdirs (platform subdirs plus noarch). */
  select(subdirs: SubdirRecords): FilterResult {
    const excluded: Record<ExcludeReason, number> = {
      license: 0,
      python: 0,
      blacklist: 0,
      'not-in-pkg-list': 0,
    };
    const selected = new Map<string, Set<string>>();
    // The name index and the work queue only serve the dependency closure.
    const index = this.rules.includeDependencies ? new EligibleIndex(subdirs.keys()) : null;
    const pending: IndexedRecord[] = [];
    let eligibleCount = 0;
    for (const [subdir, records] of subdirs) {
      const chosen = new Set<string>();
      selected.set(subdir, chosen);
      for (const [filename, record] of records) {
        let reason: ExcludeReason | null;
        let isRoot: boolean;
        try {
          reason = this.ineligibleReason(record, subdir);
          isRoot = reason === null && (this.#roots === null || this.#roots.matches(record));
        } catch (error) {
          throw withRecordContext(subdir, filename, error);
        }
        if (reason !== null) {
          excluded[reason]++;
          continue;
        }
        eligibleCount++;
        if (isRoot) chosen.add(filename);
        if (index !== null) {
          const entry = { subdir, filename, record };
          index.add(entry);
          if (isRoot) pending.push(entry);
        }
      }
    }
    const unresolved = index === null ? [] : addDependencies(index, selected, pending);
    let selectedCount = 0;
    for (const filenames of selected.values()) selectedCount += filenames.size;
    excluded['not-in-pkg-list'] = eligibleCount - selectedCount;
    return { selected, excluded, unresolved };
  }

  #licenseBlocked(record: FilterableRecord): boolean {
    if (this.#licenseBlacklist.size === 0) return false;
    const key = `${record.license_family ?? ''}\u0000${record.license ?? ''}`;
    let blocked = this.#licenseVerdicts.get(key);
    if (blocked === undefined) {
      blocked = licenseFamiliesOf(record).some((family) => this.#licenseBlacklist.has(family));
      this.#licenseVerdicts.set(key, blocked);
    }
    return blocked;
  }
}

/** Breadth-first closure over depends; returns the specs nothing eligible satisfies, sorted. */
function addDependencies(
  index: EligibleIndex,
  selected: Map<string, Set<string>>,
  pending: IndexedRecord[],
): UnresolvedDependency[] {
  const unresolved: UnresolvedDependency[] = [];
  // `pending` grows while we walk it; an index avoids shift()'s O(n) per step.
  for (let next = 0; next < pending.length; next++) {
    const { subdir, filename, record } = pending[next] as IndexedRecord;
    for (const dependency of record.depends ?? []) {
      if (dependency.startsWith('__') && leadingName(dependency).startsWith('__')) continue;
      const matches = index.resolve(subdir, dependency);
      if (matches === null || matches.length === 0) {
        unresolved.push({ subdir, filename, spec: dependency });
        continue;
      }
      for (const match of matches) {
        const chosen = selected.get(match.subdir);
        if (chosen === undefined || chosen.has(match.filename)) continue;
        chosen.add(match.filename);
        pending.push(match);
      }
    }
  }
  return unresolved.sort(
    (a, b) => compare(a.subdir, b.subdir) || compare(a.filename, b.filename) || compare(a.spec, b.spec),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Adds the record's location to a CondaError, so a bad upstream version names its file. */
function withRecordContext(subdir: string, filename: string, error: unknown): unknown {
  if (!(error instanceof CondaError)) return error;
  return new CondaError(error.code, `${subdir}/${filename}: ${error.message}`, { cause: error });
}

/** Validates and compiles the rules once; throws CondaError INVALID_FILTER naming the bad entry. */
export function compileFilter(rules: FilterRules): PackageFilter {
  return new PackageFilter(validateRules(rules));
}

/** One-shot `compileFilter(rules).select(subdirs)`. */
export function filterPackages(subdirs: SubdirRecords, rules: FilterRules): FilterResult {
  return compileFilter(rules).select(subdirs);
}
