import { CondaError } from '../errors.ts';
import { BoundedCache } from '../version/bounded-cache.ts';
import { type CondaVersionSpec, parseVersionSpec } from '../version/index.ts';
import { type BuildNumberConstraint, parseBuildNumber } from './build-number.ts';
import { compileGlob, type GlobMatcher, isGlob } from './glob.ts';
import { invalidMatchSpec, type MatchSpecParts, parseMatchSpecParts } from './parse-parts.ts';

/** The fields of a package record a MatchSpec looks at. */
export interface MatchableRecord {
  name: string;
  version: string;
  build: string;
  build_number: number;
}

/**
 * A conda MatchSpec. The channel and subdir are parsed and kept (for display and for callers that care)
 * but play no part in `matches`, which sees only name, version, build and build_number.
 */
export class MatchSpec {
  /** The text it was parsed from (or a rendering of the object it was built from). */
  readonly source: string;
  /** Lower-cased package name; may be a `*` glob. */
  readonly name: string;
  readonly channel: string | undefined;
  readonly subdir: string | undefined;
  /** Undefined when any version matches. */
  readonly version: CondaVersionSpec | undefined;
  /** Build string glob; undefined when any build matches. */
  readonly build: string | undefined;
  readonly buildNumber: BuildNumberConstraint | undefined;
  readonly #nameMatcher: GlobMatcher;
  readonly #buildMatcher: GlobMatcher | undefined;

  constructor(source: string, parts: MatchSpecParts) {
    this.source = source;
    this.name = parts.name;
    this.channel = parts.channel;
    this.subdir = parts.subdir;
    this.version = compileVersion(source, parts.version);
    this.build = parts.build === undefined || parts.build === '*' ? undefined : parts.build;
    if (this.build !== undefined && /\s/.test(this.build)) {
      throw invalidMatchSpec(source, `build string '${this.build}' must not contain spaces`);
    }
    this.buildNumber =
      parts.buildNumber === undefined ? undefined : parseBuildNumber(parts.buildNumber, source);
    this.#nameMatcher = compileGlob(this.name);
    this.#buildMatcher = this.build === undefined ? undefined : compileGlob(this.build);
  }

  /** Parses a MatchSpec string; throws CondaError INVALID_MATCHSPEC naming the text and the bad part. */
  static parse(text: string): MatchSpec {
    return parseMatchSpec(text);
  }

  /** The package name when it is not a glob, so callers can look candidates up by name. */
  get exactName(): string | undefined {
    return isGlob(this.name) ? undefined : this.name;
  }

  /** True when only the name constrains the match (no version, build or build_number). */
  get isNameOnly(): boolean {
    return this.version === undefined && this.build === undefined && this.buildNumber === undefined;
  }

  matchesName(name: string): boolean {
    return this.#nameMatcher(name) || (hasUpperCase(name) && this.#nameMatcher(name.toLowerCase()));
  }

  /**
   * Whether the record satisfies name, build_number, build and version (cheapest checks first). Throws
   * CondaError INVALID_VERSION when the spec has a version constraint and the record's version is invalid.
   */
  matches(record: MatchableRecord): boolean {
    if (!this.matchesName(record.name)) return false;
    if (this.buildNumber !== undefined && !this.buildNumber.matches(record.build_number)) return false;
    if (this.#buildMatcher !== undefined && !this.#buildMatcher(record.build)) return false;
    return this.version === undefined || this.version.matches(record.version);
  }

  /** Canonical text: `[channel[/subdir]::]name[ version[ build]]` plus `[build_number=...]` when set. */
  toString(): string {
    let text = '';
    if (this.channel !== undefined)
      text += `${this.channel}${this.subdir === undefined ? '' : `/${this.subdir}`}::`;
    text += this.name;
    if (this.version !== undefined || this.build !== undefined) text += ` ${this.version?.normalized ?? '*'}`;
    if (this.build !== undefined) text += ` ${this.build}`;
    if (this.buildNumber !== undefined) text += `[build_number='${this.buildNumber}']`;
    if (this.channel === undefined && this.subdir !== undefined) text += `[subdir=${this.subdir}]`;
    return text;
  }
}

function hasUpperCase(text: string): boolean {
  return text !== text.toLowerCase();
}

function compileVersion(source: string, version: string | undefined): CondaVersionSpec | undefined {
  if (version === undefined || version === '*') return undefined;
  let spec: CondaVersionSpec;
  try {
    spec = parseVersionSpec(version);
  } catch (error) {
    const reason = error instanceof CondaError ? error.message : String(error);
    throw invalidMatchSpec(
      source,
      `version part '${version}' is not a valid version spec (${reason})`,
      error,
    );
  }
  return spec.isAny ? undefined : spec;
}

// MatchSpec holds no WASM memory, so parsed specs can be shared freely; depends lists repeat the same
// strings hundreds of thousands of times.
const parsed = new BoundedCache<string, MatchSpec>(32_768);

/** Parses a MatchSpec string (memoized); throws CondaError INVALID_MATCHSPEC naming the text and the bad part. */
export function parseMatchSpec(text: string): MatchSpec {
  const cached = parsed.get(text);
  if (cached !== undefined) return cached;
  const spec = new MatchSpec(text, parseMatchSpecParts(text));
  parsed.set(text, spec);
  return spec;
}
