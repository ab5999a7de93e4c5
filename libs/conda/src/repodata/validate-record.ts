import { CondaError, CondaErrorCode } from '../errors.ts';
import {
  ArtifactExtension,
  type ArtifactFormat,
  type PackageRecordJson,
  type RepodataEntry,
} from './types.ts';

/** Filesystems cap a name at 255 bytes; CEP 26 caps conda filenames lower (211), old packages may not. */
const MAX_FILENAME_LENGTH = 255;
/** CEP 26 package names, case-insensitive, minus its no-double-separator rule (`__anaconda_core_depends` exists). */
const PACKAGE_NAME = /^[a-z0-9_][a-z0-9_.-]{0,127}$/i;
/** CEP 26 version charset; conda compares versions case-insensitively, so upper case is tolerated. */
const VERSION = /^[a-z0-9_.+!]{1,128}$/i;
/** CEP 26 build string charset. */
const BUILD = /^[a-zA-Z0-9_.+]{1,128}$/;
/** Everything a conda filename can be made of, given the three rules above. */
const FILENAME_CHARS = /^[a-zA-Z0-9_.+!-]+$/;
const SHA256 = /^[0-9a-f]{64}$/;
const MD5 = /^[0-9a-f]{32}$/;

/** Shows a hostile value in a message without letting it flood the log. */
export function showValue(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The format a filename's extension names, or undefined when it is neither conda format. */
export function artifactFormatOf(filename: string): ArtifactFormat | undefined {
  if (filename.endsWith('.conda')) return 'conda';
  if (filename.endsWith('.tar.bz2')) return 'tar.bz2';
  return undefined;
}

/**
 * Checks that `filename` is a bare conda artifact name that is safe to use as a storage key:
 * `<name>-<version>-<build>.conda|.tar.bz2`, no path separators, no NUL, no `..`, no leading dot.
 * With `format`, the extension must be that format's. Throws INVALID_FILENAME.
 */
export function assertArtifactFilename(
  filename: unknown,
  format?: ArtifactFormat,
): asserts filename is string {
  const fail = (expected: string): never => {
    throw new CondaError(
      CondaErrorCode.InvalidFilename,
      `invalid package filename ${showValue(filename)}: ${expected}`,
    );
  };
  if (typeof filename !== 'string' || filename.length === 0) fail('expected a non-empty string');
  const name = filename as string;
  if (name.includes('/') || name.includes('\\')) fail('expected a bare filename without "/" or "\\"');
  if (name.includes('\0')) fail('expected no NUL character');
  if (name.includes('..')) fail('expected no ".." sequence');
  if (name.startsWith('.')) fail('expected no leading "."');
  if (name.length > MAX_FILENAME_LENGTH) fail(`expected at most ${MAX_FILENAME_LENGTH} characters`);
  if (!FILENAME_CHARS.test(name)) fail('expected only ASCII letters, digits and "_.+!-"');
  const actual = artifactFormatOf(name);
  if (actual === undefined) fail('expected the extension ".conda" or ".tar.bz2"');
  if (format !== undefined && actual !== format) {
    const section = format === 'conda' ? 'packages.conda' : 'packages';
    fail(`expected the extension "${ArtifactExtension[format]}" for an entry under "${section}"`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isStringArrayOrNull(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (!Array.isArray(value)) return false;
  for (const item of value) if (typeof item !== 'string') return false;
  return true;
}

/**
 * Validates one record of a repodata document fetched for `subdir` and returns it as an entry.
 * The record object is returned as is (no key is added or removed). Throws INVALID_FILENAME,
 * INVALID_RECORD or SUBDIR_MISMATCH naming the filename, the field and the expected form.
 */
export function validateRepodataEntry(
  filename: string,
  format: ArtifactFormat,
  record: unknown,
  subdir: string,
): RepodataEntry {
  assertArtifactFilename(filename, format);
  const where = `repodata record "${filename}"`;
  const invalid = (field: string, expected: string, value: unknown): never => {
    throw new CondaError(
      CondaErrorCode.InvalidRecord,
      `${where}: field "${field}" must be ${expected}, got ${showValue(value)}`,
    );
  };
  if (!isPlainObject(record)) return invalid('(record)', 'an object', record);

  const { name, version, build } = record;
  if (typeof name !== 'string' || !PACKAGE_NAME.test(name)) {
    invalid('name', 'a package name (ASCII letters, digits, "_.-", not starting with "." or "-")', name);
  }
  if (typeof version !== 'string' || !VERSION.test(version)) {
    invalid('version', 'a version string (ASCII letters, digits, "_.+!")', version);
  }
  if (typeof build !== 'string' || !BUILD.test(build)) {
    invalid('build', 'a build string (ASCII letters, digits, "_.+")', build);
  }
  const expectedFilename = `${name}-${version}-${build}${ArtifactExtension[format]}`;
  if (filename !== expectedFilename) {
    throw new CondaError(
      CondaErrorCode.InvalidFilename,
      `${where}: filename must equal "<name>-<version>-<build>${ArtifactExtension[format]}" = "${expectedFilename}"`,
    );
  }
  if (!isNonNegativeSafeInteger(record.build_number)) {
    invalid('build_number', 'a non-negative integer', record.build_number);
  }
  if (!isNonNegativeSafeInteger(record.size)) {
    invalid('size', 'a non-negative integer number of bytes', record.size);
  }
  const hasSha256 = record.sha256 !== undefined;
  const hasMd5 = record.md5 !== undefined;
  if (hasSha256 && (typeof record.sha256 !== 'string' || !SHA256.test(record.sha256))) {
    invalid('sha256', '64 lowercase hex characters', record.sha256);
  }
  if (hasMd5 && (typeof record.md5 !== 'string' || !MD5.test(record.md5))) {
    invalid('md5', '32 lowercase hex characters', record.md5);
  }
  if (!hasSha256 && !hasMd5) {
    invalid('sha256', 'present (or "md5" present): downloads cannot be verified without a hash', undefined);
  }
  if (!isStringArrayOrNull(record.depends)) invalid('depends', 'an array of strings', record.depends);
  if (!isStringArrayOrNull(record.constrains))
    invalid('constrains', 'an array of strings', record.constrains);
  if (record.subdir !== undefined && record.subdir !== subdir) {
    throw new CondaError(
      CondaErrorCode.SubdirMismatch,
      `${where}: field "subdir" must be "${subdir}" (the subdir being read), got ${showValue(record.subdir)}`,
    );
  }
  return { filename, format, record: record as PackageRecordJson };
}
