import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareKeys, StorageError, StorageErrorCode, validateKey, validatePrefix } from '../src/index.ts';
import { INVALID_KEYS, SPECIAL_KEYS } from './contract-reads.ts';

function invalidKeyError(run: () => unknown): StorageError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof StorageError);
    assert.equal(error.code, StorageErrorCode.InvalidKey);
    return error;
  }
  assert.fail('expected INVALID_KEY');
}

describe('validateKey', () => {
  it('accepts conda filenames and dot-prefixed names', () => {
    for (const key of [...SPECIAL_KEYS, 'a', 'a/b/c', '.condarc', 'a/..b', 'a/b..', 'é'.repeat(512)]) {
      assert.equal(validateKey(key), key);
    }
  });

  it('rejects keys that could escape the prefix or not round-trip, naming the key and the reason', () => {
    for (const key of INVALID_KEYS) invalidKeyError(() => validateKey(key));
    assert.match(
      invalidKeyError(() => validateKey('a/../../etc/passwd')).message,
      /"a\/\.\.\/\.\.\/etc\/passwd".*"\.\."/,
    );
    assert.match(
      invalidKeyError(() => validateKey('x'.repeat(1025))).message,
      /1025 bytes long, at most 1024/,
    );
    assert.match(invalidKeyError(() => validateKey('a\\b')).message, /backslash/);
    assert.equal(invalidKeyError(() => validateKey('bad//key')).key, 'bad//key');
  });
});

describe('validatePrefix', () => {
  it('accepts empty, folder and partial-name prefixes', () => {
    for (const prefix of ['', 'linux-64/', 'linux-64/numpy-', 'a/.', 'a/..', '.condasync/']) {
      assert.equal(validatePrefix(prefix), prefix);
    }
  });

  it('rejects prefixes with empty, "." or ".." segments, absolute paths and control characters', () => {
    for (const prefix of ['/', '/a', 'a//', '../a', 'a/./b', 'a\\', 'a\u0000'])
      invalidKeyError(() => validatePrefix(prefix));
  });
});

describe('compareKeys', () => {
  it('orders by UTF-8 bytes like S3, not by UTF-16 code units', () => {
    // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts before U+1F600 (4 bytes, F0 9F 98 80) in UTF-8, but
    // after it in UTF-16, where the emoji is the surrogate pair D83D DE00.
    assert.ok('\uff5e' > '😀');
    assert.ok(compareKeys('\uff5e', '😀') < 0);
    assert.deepEqual(['a/b', 'a.txt', 'a-1', 'A'].sort(compareKeys), ['A', 'a-1', 'a.txt', 'a/b']);
  });
});
