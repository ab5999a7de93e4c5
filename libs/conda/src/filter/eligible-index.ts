import { CondaError } from '../errors.ts';
import { type MatchSpec, parseMatchSpec } from '../matchspec/index.ts';
import type { FilterableRecord } from './types.ts';

export interface IndexedRecord {
  subdir: string;
  filename: string;
  record: FilterableRecord;
}

/**
 * Eligible records indexed by subdir and lower-cased name, with dependency resolution memoized per
 * (scope, spec string): a 500 k-record channel repeats a few tens of thousands of distinct depends
 * strings, so each is matched against its candidates once.
 */
export class EligibleIndex {
  readonly #bySubdir = new Map<string, Map<string, IndexedRecord[]>>();
  readonly #scopes = new Map<string, string[]>();
  readonly #resolved = new Map<string, Map<string, readonly IndexedRecord[] | null>>();

  /** `subdirs` are all mirrored subdirs; every key except `noarch` is a platform subdir. */
  constructor(subdirs: Iterable<string>) {
    for (const subdir of subdirs) this.#bySubdir.set(subdir, new Map());
    const all = [...this.#bySubdir.keys()];
    const hasNoarch = this.#bySubdir.has('noarch');
    for (const subdir of all) {
      // noarch resolves against noarch and every platform; a platform against itself and noarch.
      const scope =
        subdir === 'noarch'
          ? ['noarch', ...all.filter((s) => s !== 'noarch')]
          : hasNoarch
            ? [subdir, 'noarch']
            : [subdir];
      this.#scopes.set(subdir, scope);
      this.#resolved.set(subdir, new Map());
    }
  }

  add(entry: IndexedRecord): void {
    const byName = this.#bySubdir.get(entry.subdir);
    if (byName === undefined) throw new RangeError(`subdir '${entry.subdir}' was not declared to the index`);
    const name = entry.record.name.toLowerCase();
    const list = byName.get(name);
    if (list) list.push(entry);
    else byName.set(name, [entry]);
  }

  /**
   * Eligible records that satisfy `dependency` as seen from a record in `fromSubdir`, or null when the
   * dependency string is not a valid MatchSpec (it can then never be satisfied).
   */
  resolve(fromSubdir: string, dependency: string): readonly IndexedRecord[] | null {
    const memo = this.#resolved.get(fromSubdir);
    if (memo === undefined) throw new RangeError(`subdir '${fromSubdir}' was not declared to the index`);
    let result = memo.get(dependency);
    if (result === undefined) {
      result = this.#match(fromSubdir, dependency);
      memo.set(dependency, result);
    }
    return result;
  }

  #match(fromSubdir: string, dependency: string): readonly IndexedRecord[] | null {
    let spec: MatchSpec;
    try {
      spec = parseMatchSpec(dependency);
    } catch {
      return null;
    }
    const matches: IndexedRecord[] = [];
    for (const subdir of this.#scopes.get(fromSubdir) ?? []) {
      const byName = this.#bySubdir.get(subdir);
      if (byName === undefined) continue;
      const name = spec.exactName;
      const candidateLists =
        name === undefined
          ? [...byName.entries()].filter(([n]) => spec.matchesName(n)).map(([, l]) => l)
          : [byName.get(name)];
      for (const candidates of candidateLists) {
        for (const candidate of candidates ?? []) {
          if (matchesCandidate(spec, candidate)) matches.push(candidate);
        }
      }
    }
    return matches;
  }
}

/** spec.matches with the record named in the error when its version is unparseable. */
export function matchesCandidate(spec: MatchSpec, candidate: IndexedRecord): boolean {
  try {
    return spec.matches(candidate.record);
  } catch (error) {
    if (error instanceof CondaError) {
      throw new CondaError(error.code, `${candidate.subdir}/${candidate.filename}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}
