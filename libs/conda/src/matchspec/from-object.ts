import { CondaError } from '../errors.ts';
import { MatchSpec } from './match-spec.ts';

/** A conda-mirror style package selector: `{name: 'numpy', version: '>=1.20', build: 'py38*'}`. */
export interface MatchSpecObject {
  name: string;
  version?: string;
  build?: string;
}

const OBJECT_KEYS = new Set(['name', 'version', 'build']);
const NAME_PATTERN = /^[A-Za-z0-9_.*-]+$/;

/**
 * Builds a MatchSpec from a conda-mirror style object. `version` is a conda version spec (so `3.6*` is
 * the 3.6 series, not an fnmatch glob as in conda-mirror) and `build` is a `*` glob. Unknown keys are
 * refused rather than ignored, so a conda-mirror `license:` selector cannot silently match everything.
 */
export function matchSpecFromObject(object: MatchSpecObject): MatchSpec {
  const shown = safeJson(object);
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw new CondaError(
      'INVALID_MATCHSPEC',
      `invalid package selector ${shown}: expected an object with a name`,
    );
  }
  for (const key of Object.keys(object)) {
    if (!OBJECT_KEYS.has(key)) {
      throw new CondaError(
        'INVALID_MATCHSPEC',
        `invalid package selector ${shown}: key '${key}' is not supported (expected name, version, build)`,
      );
    }
  }
  for (const key of ['name', 'version', 'build'] as const) {
    const value: unknown = object[key];
    if (value === undefined && key !== 'name') continue;
    if (typeof value !== 'string' || value.trim() === '') {
      throw new CondaError(
        'INVALID_MATCHSPEC',
        `invalid package selector ${shown}: '${key}' must be a non-empty string`,
      );
    }
  }
  const name = object.name.trim();
  if (!NAME_PATTERN.test(name)) {
    throw new CondaError(
      'INVALID_MATCHSPEC',
      `invalid package selector ${shown}: name '${name}' must be a package name or * glob (letters, digits, '_', '-', '.', '*')`,
    );
  }
  const version = object.version?.replace(/\s+/g, '');
  const build = object.build?.trim();
  const parts = { name: name.toLowerCase(), version, build };
  const source = `${name}${version === undefined && build === undefined ? '' : ` ${version ?? '*'}`}${build === undefined ? '' : ` ${build}`}`;
  try {
    return new MatchSpec(source, withoutUndefined(parts));
  } catch (error) {
    if (error instanceof CondaError) {
      throw new CondaError('INVALID_MATCHSPEC', `invalid package selector ${shown}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

function withoutUndefined(parts: { name: string; version: string | undefined; build: string | undefined }) {
  return {
    name: parts.name,
    ...(parts.version === undefined ? {} : { version: parts.version }),
    ...(parts.build === undefined ? {} : { build: parts.build }),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
