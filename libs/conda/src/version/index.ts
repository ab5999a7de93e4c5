export type { CacheStats } from './bounded-cache.ts';
export { compareVersions, isValidVersion } from './compare-versions.ts';
export { clearVersionCaches, versionCacheStats } from './rattler-objects.ts';
export { CondaVersionSpec, parseVersionSpec, versionMatches } from './version-spec.ts';
