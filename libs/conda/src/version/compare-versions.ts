import { rattlerVersion } from './rattler-objects.ts';

/**
 * Orders two conda version strings the way conda does (epochs, `dev` < `a` < `rc` < release < `post`,
 * openssl letters, local `+` parts), returning -1, 0 or 1. `1.0` and `1.0.0` compare equal. Throws
 * CondaError INVALID_VERSION naming the string rattler rejects.
 */
export function compareVersions(a: string, b: string): number {
  if (a === b) {
    rattlerVersion(a);
    return 0;
  }
  const left = rattlerVersion(a);
  const right = rattlerVersion(b);
  return Math.sign(left.compare(right));
}

/** True when rattler accepts `text` as a conda version. */
export function isValidVersion(text: string): boolean {
  try {
    rattlerVersion(text);
    return true;
  } catch {
    return false;
  }
}
