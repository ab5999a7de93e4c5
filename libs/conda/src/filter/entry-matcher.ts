import type { MatchableRecord, MatchSpec } from '../matchspec/index.ts';

/**
 * A compiled blacklist/whitelist/pkg_list. Plain names (the common case) are a Set lookup; specs with an
 * exact name are looked up by name; only glob-named specs are tried against every record.
 */
export class EntryMatcher {
  readonly specs: readonly MatchSpec[];
  readonly #plainNames = new Set<string>();
  readonly #byName = new Map<string, MatchSpec[]>();
  readonly #globs: MatchSpec[] = [];

  constructor(specs: readonly MatchSpec[]) {
    this.specs = specs;
    for (const spec of specs) {
      const name = spec.exactName;
      if (name === undefined) this.#globs.push(spec);
      else if (spec.isNameOnly) this.#plainNames.add(name);
      else {
        const list = this.#byName.get(name);
        if (list) list.push(spec);
        else this.#byName.set(name, [spec]);
      }
    }
  }

  get isEmpty(): boolean {
    return this.specs.length === 0;
  }

  matches(record: MatchableRecord): boolean {
    const name = record.name === record.name.toLowerCase() ? record.name : record.name.toLowerCase();
    if (this.#plainNames.has(name)) return true;
    const named = this.#byName.get(name);
    if (named?.some((spec) => spec.matches(record))) return true;
    return this.#globs.some((spec) => spec.matches(record));
  }
}
