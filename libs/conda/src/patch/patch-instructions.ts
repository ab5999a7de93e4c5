import { CondaError, CondaErrorCode } from '../errors.ts';
import { showValue } from '../repodata/validate-record.ts';

/** A record patch: keys to set (objects merge, lists and scalars replace, `null` deletes). */
export type RecordPatch = Record<string, unknown>;

/**
 * A subdir's `patch_instructions.json` (conda-index / conda-forge-repodata-patches format).
 * Every member is optional; absent means empty.
 */
export interface PatchInstructions {
  patch_instructions_version?: number;
  /** Patches by `.tar.bz2` filename; each also applies to the `.conda` twin. */
  packages?: Record<string, RecordPatch>;
  /** Patches by `.conda` filename, applied after (on top of) the twin's `.tar.bz2` patch. */
  'packages.conda'?: Record<string, RecordPatch>;
  /** Filenames to drop from the index (a `.tar.bz2` name drops its `.conda` twin too). */
  remove?: string[];
  /** Filenames to make uninstallable (a `.tar.bz2` name revokes its `.conda` twin too). */
  revoke?: string[];
}

/** conda-index raises on anything newer ("Incompatible patch instructions version"). */
export const MAX_PATCH_INSTRUCTIONS_VERSION = 1;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(field: string, expected: string, value: unknown): never {
  throw new CondaError(
    CondaErrorCode.InvalidRecord,
    `patch instructions: "${field}" must be ${expected}, got ${showValue(value)}`,
  );
}

function checkPatchMap(field: string, value: unknown): void {
  if (value === undefined) return;
  if (!isPlainObject(value)) invalid(field, 'an object of filename → record patch', value);
  for (const [filename, patch] of Object.entries(value)) {
    if (!isPlainObject(patch)) invalid(`${field}.${filename}`, 'an object (a record patch)', patch);
  }
}

function checkFilenameList(field: string, value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    invalid(field, 'a list of filenames', value);
  }
}

/**
 * Checks the shape of parsed patch instructions and returns them typed. Unknown top-level keys
 * are ignored (as conda-index does); a `patch_instructions_version` above 1 is refused
 * (INVALID_RECORD), because version 2 (CEP 21) patches run_exports, which this does not apply.
 */
export function parsePatchInstructions(value: unknown): PatchInstructions {
  if (!isPlainObject(value)) return invalid('(document)', 'an object', value);
  const version = value.patch_instructions_version;
  if (version !== undefined) {
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
      invalid('patch_instructions_version', 'a non-negative integer', version);
    }
    if (version > MAX_PATCH_INSTRUCTIONS_VERSION) {
      invalid('patch_instructions_version', `at most ${MAX_PATCH_INSTRUCTIONS_VERSION} (supported)`, version);
    }
  }
  checkPatchMap('packages', value.packages);
  checkPatchMap('packages.conda', value['packages.conda']);
  checkFilenameList('remove', value.remove);
  checkFilenameList('revoke', value.revoke);
  return value as PatchInstructions;
}
