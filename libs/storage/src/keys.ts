import { StorageError, StorageErrorCode } from './errors.ts';

/** S3's limit on key length, in UTF-8 bytes. Applied to every backend so the contract is the same. */
export const MAX_KEY_BYTES = 1024;

/**
 * Keys under this prefix are reserved for the filesystem backend's own bookkeeping (temp files,
 * sidecars, locks). Both backends reject them so that a key valid on one store is valid on all.
 */
export const RESERVED_KEY_PREFIX = '.condasync/fs-store/';

// C0 controls, DEL and C1 controls: they break logs, HTTP headers and some filesystems.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

function invalidKey(key: string, why: string, label = 'key'): StorageError {
  return new StorageError(StorageErrorCode.InvalidKey, `invalid ${label} ${JSON.stringify(key)}: ${why}`, {
    key,
  });
}

function checkCharacters(key: string, label: string): void {
  if (!key.isWellFormed()) throw invalidKey(key, 'contains a lone UTF-16 surrogate', label);
  if (CONTROL_CHARACTER.test(key)) throw invalidKey(key, 'contains a control character', label);
  if (key.includes('\\')) throw invalidKey(key, 'contains a backslash; use "/" as separator', label);
  if (key.startsWith('/')) throw invalidKey(key, 'must be relative (no leading "/")', label);
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) throw invalidKey(key, `is ${bytes} bytes long, at most ${MAX_KEY_BYTES}`, label);
}

/**
 * Throws INVALID_KEY unless `key` is a relative, `/`-separated path whose segments are neither
 * empty nor `.` / `..`, so that no key can address anything outside the store's prefix.
 */
export function validateKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0)
    throw invalidKey(String(key), 'must be a non-empty string');
  checkCharacters(key, 'key');
  for (const segment of key.split('/')) {
    if (segment === '') throw invalidKey(key, 'has an empty path segment (leading, trailing or double "/")');
    if (segment === '.' || segment === '..') throw invalidKey(key, `has a "${segment}" path segment`);
  }
  if (key.startsWith(RESERVED_KEY_PREFIX))
    throw invalidKey(key, `is under the reserved "${RESERVED_KEY_PREFIX}"`);
  return key;
}

/**
 * Validates a list prefix: `''` (everything), a directory-like `a/b/` or a partial key `a/b/pkg-`.
 * Same rules as keys except that it may be empty and may end with `/`.
 */
export function validatePrefix(prefix: string): string {
  if (typeof prefix !== 'string') throw invalidKey(String(prefix), 'must be a string', 'prefix');
  if (prefix === '') return prefix;
  checkCharacters(prefix, 'prefix');
  const segments = prefix.split('/');
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === '' && !last) throw invalidKey(prefix, 'has an empty path segment', 'prefix');
    // A trailing "." or ".." could still be the start of a valid name such as ".condarc".
    if (!last && (segment === '.' || segment === '..')) {
      throw invalidKey(prefix, `has a "${segment}" path segment`, 'prefix');
    }
  });
  return prefix;
}

/** Compares keys in UTF-8 byte order, the order S3 lists in (JS `<` compares UTF-16 units). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
