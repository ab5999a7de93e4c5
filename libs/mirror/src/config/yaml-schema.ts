import { CORE_SCHEMA, defineScalarTag, floatCoreTag, NOT_RESOLVED } from 'js-yaml';

/**
 * A YAML float as written. YAML reads `python_versions: [3.10]` as the number 3.1, which would
 * silently select Python 3.1; keeping the source text lets version-valued keys use `3.10` as typed.
 */
export class YamlFloat {
  readonly source: string;
  readonly value: number;
  constructor(source: string, value: number) {
    this.source = source;
    this.value = value;
  }
  /** js-yaml stringifies non-string mapping keys; a float key should read as written. */
  toString(): string {
    return this.source;
  }
}

const sourceKeepingFloatTag = defineScalarTag<YamlFloat>('tag:yaml.org,2002:float', {
  implicit: true,
  implicitFirstChars: floatCoreTag.implicitFirstChars,
  resolve(source, isExplicit, tagName) {
    const value = floatCoreTag.resolve(source, isExplicit, tagName);
    return value === NOT_RESOLVED ? NOT_RESOLVED : new YamlFloat(source, value);
  },
  identify: () => false,
});

/**
 * YAML 1.2 core schema (no timestamps, no merge keys: a config needs neither) with floats that
 * remember their text.
 */
export const SYNC_CONFIG_YAML_SCHEMA = CORE_SCHEMA.withTags(sourceKeepingFloatTag);

type PathSegment = string | number;

/** Keys whose values are version text, where `3.10` must stay `3.10`. */
function isVersionPosition(path: readonly PathSegment[]): boolean {
  const [key, index, field] = path;
  if (path.length === 2) {
    return key === 'python_versions' && typeof index === 'number';
  }
  return (
    path.length === 3 &&
    (key === 'blacklist' || key === 'whitelist') &&
    typeof index === 'number' &&
    (field === 'version' || field === 'build')
  );
}

/**
 * Replaces every YamlFloat in a loaded document: by its source text where the key holds a version,
 * by its number everywhere else. The result is plain JSON-like data.
 */
export function unwrapYamlFloats(value: unknown, path: PathSegment[] = []): unknown {
  if (value instanceof YamlFloat) {
    return isVersionPosition(path) ? value.source : value.value;
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => unwrapYamlFloats(item, [...path, index]));
  }
  if (value !== null && typeof value === 'object') {
    // fromEntries defines own properties, so a `__proto__` key stays a key (and is then reported as unknown).
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, unwrapYamlFloats(item, [...path, key])]),
    );
  }
  return value;
}
