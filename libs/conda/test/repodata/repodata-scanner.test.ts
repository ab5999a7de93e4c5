import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, test } from 'node:test';
import { CondaError, CondaErrorCode } from '../../src/errors.ts';
import { assertCondaError, chunked, fixture, parseAll, parseBytes } from './helpers.ts';

const SMALL = 'conda/tests/data/conda_format_repo/linux-64/repodata.json';
const RECORD = `{"build":"0","build_number":0,"depends":[],"md5":"${'a'.repeat(32)}","name":"a","size":1,"version":"1"}`;

describe('malformed and truncated repodata', () => {
  test('every truncation of a real document is MALFORMED_JSON, in whole and in 1-byte chunks', async () => {
    const bytes = fixture(SMALL);
    const end = bytes.lastIndexOf('}');
    for (let length = 1; length <= end; length++) {
      const prefix = bytes.subarray(0, length);
      for (const source of [[prefix], chunked(prefix, [1])]) {
        await assert.rejects(parseAll(source, { subdir: 'linux-64' }), (error: unknown) => {
          assert.ok(error instanceof CondaError);
          assert.equal(
            error.code,
            CondaErrorCode.MalformedJson,
            `prefix of ${length} bytes: ${error.message}`,
          );
          assert.match(error.message, /^repodata is not valid JSON at byte \d+: /);
          return true;
        });
      }
    }
  });

  test('a truncated document names the record it stopped in', async () => {
    const text = `{"packages":{"a-1-0.tar.bz2":${RECORD.slice(0, 40)}`;
    await assertCondaError(
      parseBytes(text, { subdir: 'noarch' }),
      CondaErrorCode.MalformedJson,
      `repodata is not valid JSON at byte ${text.length}: unexpected end of input inside record "a-1-0.tar.bz2" of "packages"; the document is truncated`,
    );
  });

  test('trailing garbage after the document', async () => {
    for (const [text, at, what] of [
      ['{} x', 3, "'x'"],
      ['{"packages":{}}{}', 15, "'{'"],
      ['{"packages":{}}]', 15, "']'"],
    ] as const) {
      await assertCondaError(
        parseBytes(text, { subdir: 'noarch' }),
        CondaErrorCode.MalformedJson,
        `repodata is not valid JSON at byte ${at}: unexpected ${what} after the end of the document`,
      );
    }
  });

  test('structural errors name the byte offset', async () => {
    const cases: Array<[string, string]> = [
      ['[]', `at byte 0: expected '{' to open the document, got '['`],
      ['null', `at byte 0: expected '{' to open the document, got 'n'`],
      ['\uFEFF{}', `at byte 0: expected '{' to open the document, got byte 0xef`],
      ['{"info":{},}', `at byte 11: expected '"' to start a key in "top level", got '}'`],
      ['{"info" {}}', `at byte 8: expected ':' after key "info", got '{'`],
      ['{"info":{} "x":1}', `at byte 11: expected ',' or '}' in "top level", got '"'`],
      ['{"x":}', `at byte 5: expected a value for key "x", got '}'`],
      ['{"signatures":{"a":{},}}', `at byte 22: expected '"' to start a key in "signatures", got '}'`],
      ['{"a\nb":1}', `at byte 1: invalid key (bad UTF-8, control character or escape sequence)`],
      ['{"a\\x":1}', `at byte 1: invalid key (bad UTF-8, control character or escape sequence)`],
    ];
    for (const [text, expected] of cases) {
      await assertCondaError(
        parseBytes(text, { subdir: 'noarch' }),
        CondaErrorCode.MalformedJson,
        `repodata is not valid JSON ${expected}`,
      );
    }
  });

  test('bad JSON inside a record reports the absolute byte offset', async () => {
    const prefix = '{"packages":{"a-1-0.tar.bz2":';
    const text = `${prefix}{"name":"a","size":01}}}`;
    await assertCondaError(
      parseBytes(text, { subdir: 'noarch' }),
      CondaErrorCode.MalformedJson,
      new RegExp(
        `^repodata is not valid JSON at byte ${prefix.length + 20}: record "a-1-0\\.tar\\.bz2" of "packages": `,
      ),
    );
    await assertCondaError(
      parseBytes('{"repodata_version":1x}', { subdir: 'noarch' }),
      CondaErrorCode.MalformedJson,
      /^repodata is not valid JSON at byte 2\d: value "repodata_version": /,
    );
  });

  test('invalid UTF-8 inside a record or a key', async () => {
    const record = Buffer.from(
      `{"packages":{"a-1-0.tar.bz2":${RECORD.replace('"a"', '"a\xff"')}}}`,
      'latin1',
    );
    await assertCondaError(
      parseBytes(record, { subdir: 'noarch' }),
      CondaErrorCode.MalformedJson,
      'repodata is not valid JSON at byte 29: repodata "packages" record "a-1-0.tar.bz2" is not valid UTF-8',
    );
    await assertCondaError(
      parseBytes(Buffer.from('{"\xff":1}', 'latin1'), { subdir: 'noarch' }),
      CondaErrorCode.MalformedJson,
      'repodata is not valid JSON at byte 1: invalid key (bad UTF-8, control character or escape sequence)',
    );
  });
});

describe('repodata limits', () => {
  test('deep nesting inside a record is LIMIT_EXCEEDED, not a stack overflow', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const text = `{"packages":{"a-1-0.tar.bz2":${RECORD.replace('"depends":[]', `"depends":${deep}`)}}}`;
    await assertCondaError(
      parseAll(chunked(Buffer.from(text), [4096]), { subdir: 'noarch' }),
      CondaErrorCode.LimitExceeded,
      /^repodata "packages" record "a-1-0\.tar\.bz2" nests deeper than 64 levels \(at byte \d+\)$/,
    );
    await assertCondaError(
      parseBytes(`{"info":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}`, { subdir: 'noarch' }),
      CondaErrorCode.LimitExceeded,
      /^repodata top-level value "info" nests deeper than 64 levels/,
    );
    const ok = `{"packages":{"a-1-0.tar.bz2":${RECORD.replace('"depends":[]', `"x":${'['.repeat(60)}${']'.repeat(60)}`)}}}`;
    assert.equal((await parseBytes(ok, { subdir: 'noarch' })).entries.length, 1);
  });

  test('a record over the byte cap is LIMIT_EXCEEDED, in one chunk or many', async () => {
    const big = RECORD.replace('"depends":[]', `"summary":"${'x'.repeat(2 * 1024 * 1024)}"`);
    const text = Buffer.from(`{"packages":{"a-1-0.tar.bz2":${big}}}`);
    const message =
      'repodata "packages" record "a-1-0.tar.bz2" at byte 29 is larger than the limit of 1048576 bytes';
    await assertCondaError(parseBytes(text, { subdir: 'noarch' }), CondaErrorCode.LimitExceeded, message);
    await assertCondaError(
      parseAll(chunked(text, [65536]), { subdir: 'noarch' }),
      CondaErrorCode.LimitExceeded,
      message,
    );
    const small = `{"packages":{"a-1-0.tar.bz2":${RECORD}}}`;
    assert.equal(
      (await parseBytes(small, { subdir: 'noarch', maxRecordBytes: RECORD.length })).entries.length,
      1,
    );
    await assertCondaError(
      parseBytes(small, { subdir: 'noarch', maxRecordBytes: RECORD.length - 1 }),
      CondaErrorCode.LimitExceeded,
      `repodata "packages" record "a-1-0.tar.bz2" at byte 29 is larger than the limit of ${RECORD.length - 1} bytes`,
    );
  });

  test('header values and keys are capped too', async () => {
    await assertCondaError(
      parseBytes(`{"removed":["${'a'.repeat(200)}"]}`, { subdir: 'noarch', maxHeaderValueBytes: 100 }),
      CondaErrorCode.LimitExceeded,
      'repodata top-level value "removed" at byte 11 is larger than the limit of 100 bytes',
    );
    await assertCondaError(
      parseAll(chunked(Buffer.from(`{"${'k'.repeat(10_000)}":1}`), [100]), { subdir: 'noarch' }),
      CondaErrorCode.LimitExceeded,
      'repodata key at byte 1 is longer than 4096 bytes',
    );
  });
});
