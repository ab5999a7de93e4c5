import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CondaError, CondaErrorCode } from '../../src/errors.ts';
import {
  artifactFormatOf,
  assertArtifactFilename,
  type PackageRecordJson,
  validateRepodataEntry,
} from '../../src/repodata/index.ts';
import { assertCondaError, fixture, parseBytes } from './helpers.ts';

/** A real record (Anaconda zlib) to mutate into hostile ones. */
const REAL = JSON.parse(fixture('conda/tests/data/conda_format_repo/linux-64/repodata.json').toString())[
  'packages.conda'
]['zlib-1.2.11-h7b6447c_3.conda'] as PackageRecordJson;
const REAL_FILENAME = 'zlib-1.2.11-h7b6447c_3.conda';

function documentWith(
  section: string,
  filename: string,
  record: unknown,
  info = '{"subdir":"linux-64"}',
): string {
  return `{"info":${info},${JSON.stringify(section)}:{${JSON.stringify(filename)}:${JSON.stringify(record)}}}`;
}

function parseOne(record: unknown, filename = REAL_FILENAME, section = 'packages.conda') {
  return parseBytes(documentWith(section, filename, record), { subdir: 'linux-64' });
}

describe('repodata filename validation', () => {
  const cases: Array<[string, string]> = [
    ['../evil-1-0.conda', 'expected a bare filename without "/" or "\\"'],
    ['a/b-1-0.conda', 'expected a bare filename without "/" or "\\"'],
    ['a\\b-1-0.conda', 'expected a bare filename without "/" or "\\"'],
    ['evil\u0000-1-0.conda', 'expected no NUL character'],
    ['evil-1..2-0.conda', 'expected no ".." sequence'],
    ['.evil-1-0.conda', 'expected no leading "."'],
    ['evil 1-1-0.conda', 'expected only ASCII letters, digits and "_.+!-"'],
    ['évil-1-0.conda', 'expected only ASCII letters, digits and "_.+!-"'],
    ['evil-1-0.zip', 'expected the extension ".conda" or ".tar.bz2"'],
    [`${'a'.repeat(250)}-1-0.conda`, 'expected at most 255 characters'],
  ];
  for (const [filename, expected] of cases) {
    test(`rejects ${JSON.stringify(filename).slice(0, 40)}`, async () => {
      const message = `invalid package filename ${JSON.stringify(filename).slice(0, 77)}`;
      assert.throws(
        () => assertArtifactFilename(filename),
        (error: unknown) =>
          error instanceof CondaError &&
          error.code === CondaErrorCode.InvalidFilename &&
          error.message.startsWith(message) &&
          error.message.endsWith(`: ${expected}`),
      );
      // The same rule applies to keys inside a document.
      await assertCondaError(
        parseOne(REAL, filename),
        CondaErrorCode.InvalidFilename,
        /^invalid package filename /,
      );
    });
  }

  test('the extension must match the section', async () => {
    await assertCondaError(
      parseOne(REAL, REAL_FILENAME, 'packages'),
      CondaErrorCode.InvalidFilename,
      'invalid package filename "zlib-1.2.11-h7b6447c_3.conda": expected the extension ".tar.bz2" for an entry under "packages"',
    );
    await assertCondaError(
      parseOne(REAL, 'zlib-1.2.11-h7b6447c_3.tar.bz2', 'packages.conda'),
      CondaErrorCode.InvalidFilename,
      'invalid package filename "zlib-1.2.11-h7b6447c_3.tar.bz2": expected the extension ".conda" for an entry under "packages.conda"',
    );
  });

  test('artifactFormatOf names the format of each extension', () => {
    assert.equal(artifactFormatOf('a-1-0.conda'), 'conda');
    assert.equal(artifactFormatOf('a-1-0.tar.bz2'), 'tar.bz2');
    assert.equal(artifactFormatOf('a-1-0.whl'), undefined);
  });
});

describe('repodata record validation', () => {
  test('the real record is valid and returned untouched', async () => {
    const parsed = await parseOne(REAL);
    assert.deepEqual(parsed.entries, [{ filename: REAL_FILENAME, format: 'conda', record: REAL }]);
    assert.deepEqual(validateRepodataEntry(REAL_FILENAME, 'conda', REAL, 'linux-64').record, REAL);
  });

  test('name, version or build that do not make up the filename', async () => {
    for (const change of [{ name: 'zlob' }, { version: '1.2.12' }, { build: 'h7b6447c_4' }]) {
      await assertCondaError(
        parseOne({ ...REAL, ...change }),
        CondaErrorCode.InvalidFilename,
        /^repodata record "zlib-1\.2\.11-h7b6447c_3\.conda": filename must equal "<name>-<version>-<build>\.conda" = "/,
      );
    }
  });

  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['name', { name: 'zl/ib' }, 'must be a package name'],
    [
      'name',
      { name: 7 },
      'must be a package name (ASCII letters, digits, "_.-", not starting with "." or "-"), got 7',
    ],
    [
      'version',
      { version: '1.2 11' },
      'must be a version string (ASCII letters, digits, "_.+!"), got "1.2 11"',
    ],
    [
      'build',
      { build: 'h7b-6447c' },
      'must be a build string (ASCII letters, digits, "_.+"), got "h7b-6447c"',
    ],
    ['size', { size: -1 }, 'must be a non-negative integer number of bytes, got -1'],
    ['size', { size: 1.5 }, 'must be a non-negative integer number of bytes, got 1.5'],
    ['size', { size: 2 ** 53 }, 'must be a non-negative integer number of bytes, got 9007199254740992'],
    ['size', { size: '100' }, 'must be a non-negative integer number of bytes, got "100"'],
    ['size', { size: undefined }, 'must be a non-negative integer number of bytes, got undefined'],
    ['build_number', { build_number: -3 }, 'must be a non-negative integer, got -3'],
    ['build_number', { build_number: 0.5 }, 'must be a non-negative integer, got 0.5'],
    ['sha256', { sha256: 'abc' }, 'must be 64 lowercase hex characters, got "abc"'],
    ['sha256', { sha256: REAL.sha256!.toUpperCase() }, 'must be 64 lowercase hex characters'],
    ['sha256', { sha256: null }, 'must be 64 lowercase hex characters, got null'],
    ['md5', { md5: 'z'.repeat(32) }, 'must be 32 lowercase hex characters'],
    [
      'sha256',
      { sha256: undefined, md5: undefined },
      'must be present (or "md5" present): downloads cannot be verified without a hash, got undefined',
    ],
    ['depends', { depends: 'zlib' }, 'must be an array of strings, got "zlib"'],
    ['depends', { depends: ['zlib', 3] }, 'must be an array of strings, got ["zlib",3]'],
    ['constrains', { constrains: {} }, 'must be an array of strings, got {}'],
  ];
  for (const [field, change, expected] of invalid) {
    test(`${field} ${JSON.stringify(change)} is INVALID_RECORD`, async () => {
      const record = { ...REAL, ...change };
      await assertCondaError(
        parseOne(record),
        CondaErrorCode.InvalidRecord,
        new RegExp(
          `^repodata record "zlib-1\\.2\\.11-h7b6447c_3\\.conda": field "${field}" ${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
        ),
      );
    });
  }

  test('a record that is not an object', async () => {
    await assertCondaError(
      parseBytes(`{"packages.conda":{"${REAL_FILENAME}":[1]}}`, { subdir: 'linux-64' }),
      CondaErrorCode.InvalidRecord,
      `repodata "packages.conda" entry "${REAL_FILENAME}" at byte 50: the record must be an object, got '['`,
    );
  });

  test('one hash is enough; null depends and constrains are accepted on input', async () => {
    const { sha256: _sha256, ...md5Only } = REAL;
    const { md5: _md5, ...sha256Only } = REAL;
    for (const record of [md5Only, sha256Only, { ...REAL, depends: null, constrains: null }]) {
      assert.equal((await parseOne(record)).entries.length, 1);
    }
  });

  test('a record for another subdir is SUBDIR_MISMATCH', async () => {
    await assertCondaError(
      parseOne({ ...REAL, subdir: 'win-64' }),
      CondaErrorCode.SubdirMismatch,
      'repodata record "zlib-1.2.11-h7b6447c_3.conda": field "subdir" must be "linux-64" (the subdir being read), got "win-64"',
    );
    await assertCondaError(
      parseBytes(documentWith('packages.conda', REAL_FILENAME, REAL, '{"subdir":"noarch"}'), {
        subdir: 'linux-64',
      }),
      CondaErrorCode.SubdirMismatch,
      'repodata "info.subdir" must be "linux-64" (the subdir being read), got "noarch"',
    );
  });

  test('long hostile values are shortened in messages', async () => {
    await assertCondaError(
      parseOne({ ...REAL, size: 'x'.repeat(10_000) }),
      CondaErrorCode.InvalidRecord,
      /got "x{76}\.\.\.$/,
    );
  });
});
