import { CondaError } from '../errors.ts';
import { type MatchSpec, matchSpecFromObject, parseMatchSpec } from '../matchspec/index.ts';
import { LICENSE_FAMILIES, type LicenseFamily, normalizeLicenseFamily } from './license-family.ts';
import { MAX_PYTHON_VERSIONS } from './python-versions.ts';
import type { FilterRules } from './types.ts';

/** FilterRules after validation: every entry parsed, every family canonical. */
export interface ValidatedRules {
  pkgList: MatchSpec[] | null;
  includeDependencies: boolean;
  pythonVersions: string[] | null;
  licenseBlacklist: LicenseFamily[];
  blacklist: MatchSpec[];
  whitelist: MatchSpec[];
}

const RULE_KEYS = {
  pkgList: 'pkg_list',
  includeDependencies: 'include_dependencies',
  pythonVersions: 'python_versions',
  licenseBlacklist: 'license_blacklist',
  blacklist: 'blacklist',
  whitelist: 'whitelist',
} as const;

function invalid(message: string, cause?: unknown): CondaError {
  return new CondaError('INVALID_FILTER', message, cause === undefined ? undefined : { cause });
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
}

/**
 * Checks and parses the rules once. Errors use the sync-config key names (`blacklist[2]`) and name the
 * bad entry, because that is what the user wrote.
 */
export function validateRules(rules: FilterRules): ValidatedRules {
  if (rules === null || typeof rules !== 'object')
    throw invalid(`filter rules must be an object, got ${show(rules)}`);
  for (const key of Object.keys(rules)) {
    if (!(key in RULE_KEYS)) {
      throw invalid(`unknown filter rule '${key}' (expected one of ${Object.keys(RULE_KEYS).join(', ')})`);
    }
  }
  const pkgList =
    rules.pkgList == null ? null : parseEntries('pkgList', rules.pkgList, { allowObjects: false });
  if (pkgList !== null && pkgList.length === 0) {
    throw invalid('pkg_list is empty: omit it to mirror every package, or list the packages to mirror');
  }
  const blacklist = parseEntries('blacklist', rules.blacklist ?? [], { allowObjects: true });
  const whitelist = parseEntries('whitelist', rules.whitelist ?? [], { allowObjects: true });
  const licenseBlacklist = parseLicenseBlacklist(rules.licenseBlacklist ?? []);
  if (pkgList !== null) {
    const clashing = [
      blacklist.length > 0 ? 'blacklist' : undefined,
      whitelist.length > 0 ? 'whitelist' : undefined,
      licenseBlacklist.length > 0 ? 'license_blacklist' : undefined,
    ].filter((key) => key !== undefined);
    if (clashing.length > 0) {
      throw invalid(
        `pkg_list cannot be combined with ${clashing.join(', ')}: pkg_list names exactly what to mirror; ` +
          'remove either pkg_list or the other rules',
      );
    }
  }
  const includeDependencies = rules.includeDependencies ?? false;
  if (typeof includeDependencies !== 'boolean') {
    throw invalid(`include_dependencies must be true or false, got ${show(includeDependencies)}`);
  }
  return {
    pkgList,
    includeDependencies,
    pythonVersions: rules.pythonVersions == null ? null : parsePythonVersions(rules.pythonVersions),
    licenseBlacklist,
    blacklist,
    whitelist,
  };
}

function parseEntries(
  key: 'pkgList' | 'blacklist' | 'whitelist',
  entries: unknown,
  options: { allowObjects: boolean },
): MatchSpec[] {
  const label = RULE_KEYS[key];
  if (!Array.isArray(entries)) throw invalid(`${label} must be a list, got ${show(entries)}`);
  return entries.map((entry: unknown, index) => {
    const expected = options.allowObjects
      ? 'a package name, * glob, MatchSpec string or {name, version, build} object'
      : 'a package name, * glob or MatchSpec string';
    try {
      if (typeof entry === 'string') return parseMatchSpec(entry);
      if (options.allowObjects && entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
        return matchSpecFromObject(entry as never);
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw invalid(
        `${label}[${index}] ${show(entry)} is not valid: ${reason} (expected ${expected})`,
        error,
      );
    }
    throw invalid(`${label}[${index}] ${show(entry)} is not valid (expected ${expected})`);
  });
}

function parseLicenseBlacklist(entries: unknown): LicenseFamily[] {
  if (!Array.isArray(entries)) throw invalid(`license_blacklist must be a list, got ${show(entries)}`);
  return entries.map((entry: unknown, index) => {
    const family = typeof entry === 'string' ? normalizeLicenseFamily(entry) : undefined;
    if (family === undefined) {
      throw invalid(
        `license_blacklist[${index}] ${show(entry)} is not a license family (expected one of ${LICENSE_FAMILIES.join(', ')})`,
      );
    }
    return family;
  });
}

function parsePythonVersions(entries: unknown): string[] {
  if (!Array.isArray(entries)) throw invalid(`python_versions must be a list, got ${show(entries)}`);
  if (entries.length === 0) throw invalid('python_versions is empty: omit it to keep every Python version');
  if (entries.length > MAX_PYTHON_VERSIONS) {
    throw invalid(`python_versions lists ${entries.length} versions (at most ${MAX_PYTHON_VERSIONS})`);
  }
  return entries.map((entry: unknown, index) => {
    // A YAML 3.10 arrives as the number 3.1, so only strings are accepted.
    if (typeof entry !== 'string' || !/^\d+\.\d+$/.test(entry)) {
      throw invalid(
        `python_versions[${index}] ${show(entry)} is not a version like '3.11' (quote it in YAML)`,
      );
    }
    return entry;
  });
}
