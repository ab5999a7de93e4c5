import { Version, VersionSpec } from '@conda-org/rattler';
import { CondaError } from '../errors.ts';
import { BoundedCache, type CacheStats } from './bounded-cache.ts';

/*
 * The only place that creates rattler WASM objects for versions. Constructing them is the expensive part
 * (about 0.75 µs per Version and 5 µs per VersionSpec, against 0.1 µs per compare/matches), and each one
 * holds WASM memory until freed, so they are memoized by their source string in bounded LRU caches that
 * free() what they evict. Objects returned here belong to the cache: use them synchronously and never
 * keep them, because a later lookup may evict and free them.
 */

const VERSION_CACHE_CAPACITY = 65_536;
const VERSION_SPEC_CACHE_CAPACITY = 16_384;

const versions = new BoundedCache<string, Version>(VERSION_CACHE_CAPACITY, (version) => version.free());
const versionSpecs = new BoundedCache<string, VersionSpec>(VERSION_SPEC_CACHE_CAPACITY, (spec) =>
  spec.free(),
);

/** rattler throws plain strings that may be multi-line parser traces; the first line is the useful part. */
export function rattlerReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]?.trim() || 'unparseable';
}

/** The cached rattler Version for `text`; throws CondaError INVALID_VERSION when rattler rejects it. */
export function rattlerVersion(text: string): Version {
  const cached = versions.get(text);
  if (cached !== undefined) return cached;
  if (typeof text !== 'string' || text === '') {
    throw new CondaError(
      'INVALID_VERSION',
      `invalid version ${JSON.stringify(text)}: expected a non-empty string`,
    );
  }
  let version: Version;
  try {
    version = new Version(text);
  } catch (error) {
    throw new CondaError(
      'INVALID_VERSION',
      `invalid version '${text}': ${rattlerReason(error)} (expected a conda version such as 1.2.3, 1!2.0 or 1.0+local)`,
      { cause: error },
    );
  }
  versions.set(text, version);
  return version;
}

/**
 * The cached rattler VersionSpec for `text`, parsed leniently like conda does (`1.2` means `==1.2`,
 * `1.2*` means `1.2.*`). Throws CondaError INVALID_VERSION naming the spec when rattler rejects it.
 */
export function rattlerVersionSpec(text: string): VersionSpec {
  const cached = versionSpecs.get(text);
  if (cached !== undefined) return cached;
  if (typeof text !== 'string' || text.trim() === '') {
    throw new CondaError(
      'INVALID_VERSION',
      `invalid version spec ${JSON.stringify(text)}: expected a non-empty string`,
    );
  }
  let spec: VersionSpec;
  try {
    spec = new VersionSpec(text, 'lenient');
  } catch (error) {
    throw new CondaError(
      'INVALID_VERSION',
      `invalid version spec '${text}': ${rattlerReason(error)} (expected e.g. 1.2.*, >=1.0,<2, ==1.2, !=1.3, ~=1.2 or 1.0|2.*)`,
      { cause: error },
    );
  }
  versionSpecs.set(text, spec);
  return spec;
}

/** Frees every cached rattler object (tests and benchmarks use it to measure cold behaviour). */
export function clearVersionCaches(): void {
  versions.clear();
  versionSpecs.clear();
}

/** Hit/miss/eviction counters of the two caches, for benchmarks and diagnostics. */
export function versionCacheStats(): { versions: CacheStats; versionSpecs: CacheStats } {
  return { versions: versions.stats(), versionSpecs: versionSpecs.stats() };
}
