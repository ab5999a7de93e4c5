import { CondaError, CondaErrorCode } from '../errors.ts';

/** Client-side keys that conda adds to its cache; they do not belong in channel repodata. */
const CLIENT_ONLY_RECORD_KEYS = new Set(['fn', 'url', 'channel', 'schannel']);

const NON_ASCII = /[\u007f-\uffff]/;
const NON_ASCII_GLOBAL = /[\u007f-\uffff]/g;

function escapeUnit(char: string): string {
  return '\\u' + char.charCodeAt(0).toString(16).padStart(4, '0');
}

/**
 * Escapes every non-ASCII UTF-16 unit as `\uXXXX` (lower-case hex, surrogate pairs as two escapes),
 * which is what Python's `json.dumps` does by default (`ensure_ascii=True`). The output is then
 * pure ASCII, byte-for-byte like conda-index's, and its UTF-8 length equals its string length.
 */
export function toAsciiJson(json: string): string {
  return NON_ASCII.test(json) ? json.replace(NON_ASCII_GLOBAL, escapeUnit) : json;
}

/**
 * Orders filenames and keys the way the writer does (UTF-16 code units; for the ASCII names that
 * validation allows this equals Python's `sort_keys`). Sort your entries with it before writing.
 */
export function compareFilenames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function serialize(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) {
        throw new CondaError(
          CondaErrorCode.InvalidRecord,
          `value at "${path}" is ${value}, which JSON cannot represent (expected a finite number)`,
        );
      }
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        const items: string[] = [];
        for (let i = 0; i < value.length; i++) items.push(serialize(value[i], `${path}[${i}]`));
        return '[' + items.join(',') + ']';
      }
      const object = value as Record<string, unknown>;
      const members: string[] = [];
      for (const key of Object.keys(object).sort(compareFilenames)) {
        const member = object[key];
        if (member === undefined) continue;
        members.push(JSON.stringify(key) + ':' + serialize(member, `${path}.${key}`));
      }
      return '{' + members.join(',') + '}';
    }
    default:
      throw new CondaError(
        CondaErrorCode.InvalidRecord,
        `value at "${path}" is a ${typeof value}, which JSON cannot represent`,
      );
  }
}

/** Own keys in ascending order? (JSON.stringify writes keys in `Object.keys` order.) */
function hasSortedKeys(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! >= keys[i]!) return false;
  return true;
}

/** True when JSON.stringify(value) already gives the canonical text: sorted keys, JSON-only values. */
function isCanonical(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (const item of value) if (!isCanonical(item)) return false;
        return true;
      }
      const object = value as Record<string, unknown>;
      const keys = Object.keys(object);
      if (!hasSortedKeys(keys)) return false;
      for (const key of keys) if (!isCanonical(object[key])) return false;
      return true;
    }
    default:
      return false;
  }
}

/**
 * Fast path: upstream records (conda-index output) usually have sorted keys already, so one native
 * JSON.stringify does the job once we know no rewrite rule applies.
 */
function isCanonicalRecord(record: Readonly<Record<string, unknown>>): boolean {
  if (!Array.isArray(record.depends) || record.constrains === null) return false;
  const keys = Object.keys(record);
  if (!hasSortedKeys(keys)) return false;
  for (const key of keys) {
    if (CLIENT_ONLY_RECORD_KEYS.has(key) || !isCanonical(record[key])) return false;
  }
  return true;
}

/**
 * JSON text with object keys sorted at every depth, arrays in their order, no whitespace and
 * ASCII-only: the same bytes as Python's `json.dumps(value, sort_keys=True, separators=(",", ":"))`
 * (conda-index's default `compact_json`), except that floats print the JavaScript way (`1` not `1.0`).
 */
export function canonicalJson(value: unknown): string {
  return toAsciiJson(serialize(value, '$'));
}

/**
 * The exact bytes a record gets in the written repodata.json. Values are kept verbatim except:
 * `fn`, `url`, `channel`, `schannel` are dropped; `depends` is always an array (`[]` when missing
 * or null, because conda and rattler fail on both); `constrains: null` is dropped (rattler fails
 * on it). Hold these strings instead of record objects when buffering a whole subdir.
 */
export function canonicalRecordJson(record: Readonly<Record<string, unknown>>): string {
  if (isCanonicalRecord(record)) return toAsciiJson(JSON.stringify(record));
  const keys = Object.keys(record);
  if (!Object.hasOwn(record, 'depends')) keys.push('depends');
  keys.sort(compareFilenames);
  const members: string[] = [];
  for (const key of keys) {
    if (CLIENT_ONLY_RECORD_KEYS.has(key)) continue;
    let value = Object.hasOwn(record, key) ? record[key] : undefined;
    if (key === 'depends' && (value === undefined || value === null)) value = [];
    if (key === 'constrains' && value === null) continue;
    if (value === undefined) continue;
    members.push(JSON.stringify(key) + ':' + serialize(value, key));
  }
  return toAsciiJson('{' + members.join(',') + '}');
}
