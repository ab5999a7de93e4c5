import { parseMatchSpec } from '../matchspec/index.ts';
import { versionMatches } from '../version/index.ts';
import type { FilterableRecord } from './types.ts';

/** Records with these names are interpreters/ABI markers: their own version is the Python series. */
const INTERPRETER_NAMES: ReadonlySet<string> = new Set(['python', 'python_abi']);
/** Dependencies with these names pin the Python a build is for. */
const PIN_NAMES: ReadonlySet<string> = new Set(['python', 'python_abi']);
/** Bit masks hold one bit per listed version; validation caps the list at this length. */
export const MAX_PYTHON_VERSIONS = 30;

/**
 * Decides python_versions eligibility. A listed version `X.Y` stands for the whole series, so a pin is
 * satisfied when `X.Y` or `X.Y.999` matches it (covering `>=3.10,<3.11.0a0`, `3.10.*`, `2.7*`,
 * `>=3.10.2`) or when the pin is one exact version inside the series (`3.10.12`). Verdicts are memoized
 * per distinct version and dependency string, which repeat across hundreds of thousands of records.
 */
export class PythonVersionFilter {
  readonly versions: readonly string[];
  readonly #all: number;
  readonly #interpreterVerdicts = new Map<string, boolean>();
  readonly #pinMasks = new Map<string, number>();

  constructor(versions: readonly string[]) {
    this.versions = versions;
    this.#all = (1 << versions.length) - 1;
  }

  /** Whether the record is built for (or independent of) one of the listed versions. */
  accepts(record: FilterableRecord, subdir: string): boolean {
    if (subdir === 'noarch' || record.subdir === 'noarch') return true;
    if (INTERPRETER_NAMES.has(record.name)) return this.#acceptsInterpreter(record.version);
    const depends = record.depends;
    if (depends === undefined) return true;
    let mask = this.#all;
    for (const dependency of depends) {
      if (!dependency.startsWith('python')) continue;
      const name = leadingName(dependency);
      if (!PIN_NAMES.has(name)) continue;
      // All pins of one record must be satisfied by the same listed version, hence the AND.
      mask &= this.#pinMask(dependency);
      if (mask === 0) return false;
    }
    return true;
  }

  #acceptsInterpreter(version: string): boolean {
    let verdict = this.#interpreterVerdicts.get(version);
    if (verdict === undefined) {
      verdict = this.versions.some((listed) => versionMatches(`${listed}.*`, version));
      this.#interpreterVerdicts.set(version, verdict);
    }
    return verdict;
  }

  #pinMask(dependency: string): number {
    let mask = this.#pinMasks.get(dependency);
    if (mask === undefined) {
      mask = this.#computePinMask(dependency);
      this.#pinMasks.set(dependency, mask);
    }
    return mask;
  }

  #computePinMask(dependency: string): number {
    let spec: ReturnType<typeof parseMatchSpec>;
    try {
      spec = parseMatchSpec(dependency);
    } catch {
      // A pin we cannot read cannot be shown to fit a listed version: the record is python-excluded.
      return 0;
    }
    const version = spec.version;
    if (version === undefined) return this.#all;
    const exactPin = /^==?([^,|<>!~=*]+)$/.exec(version.normalized)?.[1];
    let mask = 0;
    this.versions.forEach((listed, index) => {
      const fits =
        version.matches(listed) ||
        version.matches(`${listed}.999`) ||
        (exactPin !== undefined && versionMatches(`${listed}.*`, exactPin));
      if (fits) mask |= 1 << index;
    });
    return mask;
  }
}

/** The package name at the start of a dependency string (`python >=3.10` → `python`). */
export function leadingName(dependency: string): string {
  const end = dependency.search(/[\s=<>!~[]/);
  return (end === -1 ? dependency : dependency.slice(0, end)).toLowerCase();
}
