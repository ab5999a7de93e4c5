import { compareVersions, type MatchSpec, type PackageRecordJson, parseMatchSpec } from '@condasync/conda';

/*
 * current_repodata.json as conda-index builds it (`conda_index/index/current_repodata.py`, without
 * `pins`): conda's classic solver reads it first, so it must hold an installable subset.
 *
 * 1. Like conda's SubdirData, a `.tar.bz2` whose `.conda` twin exists is left out.
 * 2. Per name, the newest version (conda's order: version, build number, timestamp, build) with
 *    every build of it, matched as the MatchSpec `name=version` (so `1.2` also keeps `1.2.1`).
 * 3. One pass over the kept records' dependencies: a dependency nothing kept satisfies gets the
 *    newest version that satisfies it (all its builds) added. conda-index does exactly one pass,
 *    so a dependency of an added record is not looked at again; neither is it here.
 * 4. For a name whose kept records carry `track_features` or `features`, the newest record without
 *    either, no newer than the kept version, is added too.
 * Kept `.conda` records get `legacy_bz2_md5`, the md5 of their `.tar.bz2` twin; conda-index writes
 * `null` when there is no twin, which we leave out (rattler rejects nulls it does not expect).
 */

export interface CurrentRecord {
  filename: string;
  record: PackageRecordJson;
}

interface Candidate extends CurrentRecord {
  index: number;
}

/** Orders like conda's `Resolve.version_key` for one channel, newest first. */
function newestFirst(a: Candidate, b: Candidate): number {
  return (
    safeCompareVersions(b.record.version, a.record.version) ||
    numberOf(b.record.build_number) - numberOf(a.record.build_number) ||
    numberOf(b.record.timestamp) - numberOf(a.record.timestamp) ||
    (a.record.build < b.record.build ? 1 : a.record.build > b.record.build ? -1 : 0) ||
    a.index - b.index
  );
}

function numberOf(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** An invalid version sorts below every valid one instead of failing the whole document. */
function safeCompareVersions(a: string, b: string): number {
  try {
    return compareVersions(a, b);
  } catch {
    let aValid = true;
    let bValid = true;
    try {
      compareVersions(a, a);
    } catch {
      aValid = false;
    }
    try {
      compareVersions(b, b);
    } catch {
      bValid = false;
    }
    if (aValid !== bValid) return aValid ? 1 : -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
}

function hasFeatures(record: PackageRecordJson): boolean {
  const truthy = (value: unknown): boolean =>
    Array.isArray(value) ? value.length > 0 : typeof value === 'string' ? value.trim() !== '' : false;
  return truthy(record.track_features) || truthy(record.features);
}

/** Parses MatchSpecs once; a spec conda could not parse either matches nothing. */
class SpecCache {
  readonly #specs = new Map<string, MatchSpec | null>();
  get(text: string): MatchSpec | null {
    let spec = this.#specs.get(text);
    if (spec === undefined) {
      try {
        spec = parseMatchSpec(text);
      } catch {
        spec = null;
      }
      this.#specs.set(text, spec);
    }
    return spec;
  }
}

function matches(spec: MatchSpec, candidate: Candidate): boolean {
  try {
    return spec.matches(candidate.record);
  } catch {
    return false;
  }
}

/** Groups by name, each sorted newest first. */
function groupByName(candidates: Candidate[]): Map<string, Candidate[]> {
  const groups = new Map<string, Candidate[]>();
  for (const candidate of candidates) {
    const group = groups.get(candidate.record.name);
    if (group === undefined) groups.set(candidate.record.name, [candidate]);
    else group.push(candidate);
  }
  for (const group of groups.values()) group.sort(newestFirst);
  return groups;
}

/** The records of `group` matching `name=version`. */
function sameVersion(group: Candidate[], version: string, specs: SpecCache): Candidate[] {
  const name = group[0]?.record.name ?? '';
  const spec = specs.get(`${name}=${version}`);
  if (spec === null) return group.filter((c) => c.record.version === version);
  return group.filter((candidate) => matches(spec, candidate));
}

/**
 * Chooses the records of current_repodata.json from a subdir's published records and returns them
 * (`.conda` records with `legacy_bz2_md5` added), in input order.
 */
export function selectCurrentRecords(records: readonly CurrentRecord[]): CurrentRecord[] {
  const condaStems = new Set<string>();
  for (const { filename } of records) if (filename.endsWith('.conda')) condaStems.add(filename.slice(0, -6));
  const legacyMd5 = new Map<string, string>();
  const candidates: Candidate[] = [];
  records.forEach((entry, index) => {
    if (entry.filename.endsWith('.tar.bz2')) {
      const stem = entry.filename.slice(0, -8);
      if (condaStems.has(stem)) {
        if (typeof entry.record.md5 === 'string') legacyMd5.set(stem, entry.record.md5);
        return;
      }
    }
    candidates.push({ ...entry, index });
  });

  const specs = new SpecCache();
  const all = groupByName(candidates);
  const kept = new Map<string, Set<Candidate>>();
  for (const [name, group] of all)
    kept.set(name, new Set(sameVersion(group, group[0]!.record.version, specs)));

  // Step 3 checks against the newest-only selection, as conda-index does.
  const newest = groupByName([...kept.values()].flatMap((set) => [...set]));
  const seen = new Set<string>();
  for (const group of newest.values()) {
    for (const candidate of group) {
      for (const dependency of candidate.record.depends ?? []) {
        if (typeof dependency !== 'string' || seen.has(dependency)) continue;
        seen.add(dependency);
        const spec = specs.get(dependency);
        const name = spec?.exactName;
        if (spec === null || name === undefined) continue;
        if ((newest.get(name) ?? []).some((c) => matches(spec, c))) continue;
        const match = (all.get(name) ?? []).find((c) => matches(spec, c));
        if (match === undefined) continue;
        const set = kept.get(name) ?? new Set<Candidate>();
        for (const c of sameVersion(all.get(name)!, match.record.version, specs)) set.add(c);
        kept.set(name, set);
      }
    }
  }

  for (const [name, set] of kept) {
    const group = [...set].sort(newestFirst);
    if (!group.some((c) => hasFeatures(c.record))) continue;
    const latest = group[0]!.record.version;
    const plain = all
      .get(name)!
      .find((c) => safeCompareVersions(c.record.version, latest) <= 0 && !hasFeatures(c.record));
    if (plain !== undefined) set.add(plain);
  }

  const chosen = [...kept.values()].flatMap((set) => [...set]).sort((a, b) => a.index - b.index);
  return chosen.map(({ filename, record }) => {
    const md5 = filename.endsWith('.conda') ? legacyMd5.get(filename.slice(0, -6)) : undefined;
    return { filename, record: md5 === undefined ? record : { ...record, legacy_bz2_md5: md5 } };
  });
}
