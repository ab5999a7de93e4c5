import { rattlerVersion, rattlerVersionSpec } from './rattler-objects.ts';

/**
 * A parsed conda version spec (`>=1.0,<2`, `1.2.*`, `==1.2`, `!=1.3`, `~=1.2`, `1.0|2.*`). It holds only
 * strings: the rattler object behind it lives in a bounded cache and is re-created if it was evicted, so
 * holding many of these costs no WASM memory.
 */
export class CondaVersionSpec {
  /** The text as given. */
  readonly source: string;
  /** rattler's canonical rendering, e.g. `2.7*` becomes `2.7.*` and `1.2` becomes `==1.2`. */
  readonly normalized: string;

  constructor(source: string) {
    this.source = source;
    this.normalized = rattlerVersionSpec(source).toString();
  }

  /** True when the spec matches every version (`*`). */
  get isAny(): boolean {
    return this.normalized === '*';
  }

  /** Whether `version` satisfies this spec; throws CondaError INVALID_VERSION for a bad version string. */
  matches(version: string): boolean {
    const spec = rattlerVersionSpec(this.source);
    return spec.matches(rattlerVersion(version));
  }

  toString(): string {
    return this.normalized;
  }
}

/** Parses a conda version spec leniently (as conda does); throws CondaError INVALID_VERSION naming it. */
export function parseVersionSpec(text: string): CondaVersionSpec {
  return new CondaVersionSpec(text);
}

/** Shorthand for `parseVersionSpec(spec).matches(version)`, both memoized. */
export function versionMatches(spec: string, version: string): boolean {
  return rattlerVersionSpec(spec).matches(rattlerVersion(version));
}
