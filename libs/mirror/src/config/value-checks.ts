import { parseMatchSpec } from '@condasync/conda';
import { BUILD_GLOB_PATTERN, FILTER_NAME_PATTERN, VERSION_SPEC_PATTERN } from './patterns.ts';
import { describeValue } from './schema-problems.ts';
import { closestMatch } from './suggest.ts';
import type { FilterEntry, FilterObject } from './types.ts';
import { LICENSE_FAMILIES, type LicenseFamily, LOG_LEVEL_ALIASES, type LogLevel } from './vocabulary.ts';

/*
 * Checks of single values that the JSON Schema cannot express. Each returns the normalised value
 * or a message; values of the wrong type never reach them (the schema reported those).
 */

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

const PYTHON_VERSION = /^\d+(?:\.\d+)?$/;
const FILTER_NAME = new RegExp(FILTER_NAME_PATTERN);
const VERSION_SPEC = new RegExp(VERSION_SPEC_PATTERN);
const BUILD_GLOB = new RegExp(BUILD_GLOB_PATTERN);
const FILTER_OBJECT_KEYS = new Set(['name', 'version', 'build']);

const QUOTE_NUMBERS =
  'numbers lose trailing zeros (3.10 reads as 3.1), so write versions as quoted strings, e.g. "3.10"';

/** `2.7`, `3`, `'3.10'` → `'2.7'`, `'3'`, `'3.10'`. Floats are refused: their text is already lost. */
export function checkPythonVersion(entry: string | number): Checked<string> {
  if (typeof entry === 'number') {
    return Number.isInteger(entry) && entry >= 0
      ? { ok: true, value: String(entry) }
      : { ok: false, message: `got ${describeValue(entry)}: ${QUOTE_NUMBERS}` };
  }
  const version = entry.trim();
  return PYTHON_VERSION.test(version)
    ? { ok: true, value: version }
    : {
        ok: false,
        message: `expected a Python version such as '3.10' or '2.7', got ${describeValue(entry)}`,
      };
}

/** Case-insensitive, and `public domain` / `public_domain` mean `Public-Domain`. */
export function checkLicenseFamily(entry: string): Checked<LicenseFamily> {
  const wanted = canonicalLicenseKey(entry);
  const family = LICENSE_FAMILIES.find((candidate) => canonicalLicenseKey(candidate) === wanted);
  if (family !== undefined) {
    return { ok: true, value: family };
  }
  const suggestion = closestMatch(entry, LICENSE_FAMILIES);
  const hint = suggestion === null ? '' : ` (did you mean '${suggestion}'?)`;
  return {
    ok: false,
    message: `expected a license family (${LICENSE_FAMILIES.join(', ')}), got ${describeValue(entry)}${hint}`,
  };
}

function canonicalLicenseKey(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-');
}

/** pino level names, Python logging names in any case, and Python's numbers 10–50. */
export function checkLogLevel(value: string | number): Checked<LogLevel> {
  const level = LOG_LEVEL_ALIASES[String(value).trim().toUpperCase()];
  if (level !== undefined) {
    return { ok: true, value: level };
  }
  return {
    ok: false,
    message:
      'expected trace, debug, info, warn, error or fatal (or CRITICAL, ERROR, WARNING, INFO, DEBUG, ' +
      `or 50, 40, 30, 20, 10), got ${describeValue(value)}`,
  };
}

export type CheckedFilter =
  | { ok: true; value: FilterEntry }
  | { ok: false; message: string; subPath: string };

/**
 * A blacklist/whitelist entry. Returns null for entries the schema already rejected. MatchSpec
 * strings get a light check only (libs/conda parses them for real when the filter is built): a
 * package name or glob must come first, optionally after a `channel::` prefix.
 */
export function checkFilterEntry(entry: unknown): CheckedFilter | null {
  if (typeof entry === 'string') {
    const spec = entry.trim();
    if (spec === '') {
      // '' was reported by the schema (minLength); whitespace only gets here.
      return entry === '' ? null : { ok: false, message: 'must not be blank', subPath: '' };
    }
    const problem = matchSpecProblem(spec);
    return problem === null ? { ok: true, value: spec } : { ok: false, message: problem, subPath: '' };
  }
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    return null;
  }
  const fields = entry as Record<string, unknown>;
  const { name, version, build } = fields;
  if (
    Object.keys(fields).some((key) => !FILTER_OBJECT_KEYS.has(key)) ||
    typeof name !== 'string' ||
    !FILTER_NAME.test(name)
  ) {
    return null;
  }
  const result: { name: string; version?: string; build?: string } = { name };
  if (typeof version === 'number') {
    if (!Number.isInteger(version)) {
      return { ok: false, message: `got ${describeValue(version)}: ${QUOTE_NUMBERS}`, subPath: '.version' };
    }
    result.version = String(version);
  } else if (typeof version === 'string') {
    if (!VERSION_SPEC.test(version)) return null;
    result.version = version.trim();
  } else if (version !== undefined && version !== null) {
    return null;
  }
  if (typeof build === 'number' || typeof build === 'string') {
    if (!BUILD_GLOB.test(String(build))) return null;
    result.build = String(build);
  } else if (build !== undefined && build !== null) {
    return null;
  }
  return { ok: true, value: Object.freeze(result) as FilterObject };
}

function matchSpecProblem(spec: string): string | null {
  const expected = "expected a package name, a glob or a MatchSpec such as 'numpy >=1.20,<2'";
  if (hasControlCharacter(spec)) {
    return `${expected}, got ${describeValue(spec)} (control characters)`;
  }
  // The real parser, so a config that loads is a config whose filters compile.
  try {
    parseMatchSpec(spec);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
