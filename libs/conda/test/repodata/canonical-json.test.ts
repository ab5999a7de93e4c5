import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CondaError, CondaErrorCode } from '../../src/errors.ts';
import {
  canonicalJson,
  canonicalRecordJson,
  compareFilenames,
  toAsciiJson,
} from '../../src/repodata/index.ts';

/**
 * Produced by Python: json.dumps(record, sort_keys=True, separators=(",", ":")), i.e. conda-index's
 * compact output (the record after the writer's depends/constrains/fn rules).
 */
const PYTHON_OUTPUT =
  '{"arr":[{"a":2,"b":1},3,"x"],"build":"0","build_number":0,"depends":[],"license":null,' +
  '"md5":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","name":"a","noarch":false,' +
  '"run_exports":{"10":2,"9":1,"strong":[],"weak":["b"]},"size":1,' +
  '"summary":"caf\\u00e9 \\u2615 \\ud83d\\ude00 \\u2028 \\u007f \\"q\\" \\\\ \\n\\t\\u0001",' +
  '"timestamp":1700000000000,"version":"1.0"}';

describe('canonicalRecordJson', () => {
  test('matches Python json.dumps(sort_keys=True, separators=(",", ":")) byte for byte', () => {
    const record = {
      version: '1.0',
      timestamp: 1700000000000,
      summary: 'café ☕ 😀 \u2028 \u007f "q" \\ \n\t\u0001',
      size: 1,
      schannel: 's',
      run_exports: { weak: ['b'], strong: [], '9': 1, '10': 2 },
      noarch: false,
      name: 'a',
      md5: 'a'.repeat(32),
      license: null,
      url: 'https://example.invalid/a-1.0-0.conda',
      fn: 'a-1.0-0.conda',
      constrains: null,
      channel: 'c',
      build_number: 0,
      build: '0',
      arr: [{ b: 1, a: 2 }, 3, 'x'],
    };
    assert.equal(canonicalRecordJson(record), PYTHON_OUTPUT);
  });

  test('records that are already sorted (the fast path) give the same bytes as unsorted ones', () => {
    const sorted = JSON.parse(
      '{"a":{"1":true,"2":[1.5,-0,1e21]},"build":"0","depends":["b"],"n":{"10":1,"9":2},"s":"\\u00e9\\ud83d\\ude00"}',
    );
    const unsorted = Object.fromEntries(Object.entries(sorted).reverse());
    const expected =
      '{"a":{"1":true,"2":[1.5,0,1e+21]},"build":"0","depends":["b"],"n":{"10":1,"9":2},"s":"\\u00e9\\ud83d\\ude00"}';
    assert.equal(canonicalRecordJson(sorted), expected);
    assert.equal(canonicalRecordJson(unsorted), expected);
    assert.equal(canonicalRecordJson({ ...sorted, depends: null }), expected.replace('["b"]', '[]'));
    assert.equal(canonicalRecordJson({ ...sorted, fn: 'x' }), expected);
  });

  test('depends becomes [] when missing or null; constrains: null is dropped, [] kept', () => {
    assert.equal(canonicalRecordJson({ name: 'a' }), '{"depends":[],"name":"a"}');
    assert.equal(canonicalRecordJson({ depends: null, constrains: [] }), '{"constrains":[],"depends":[]}');
    assert.equal(canonicalRecordJson({ depends: ['x >=1'], constrains: null }), '{"depends":["x >=1"]}');
  });

  test('does not modify the record it is given', () => {
    const record = { fn: 'a-1-0.conda', depends: null, constrains: null, b: { d: 1, c: 2 } };
    const copy = structuredClone(record);
    canonicalRecordJson(record);
    assert.deepEqual(record, copy);
    assert.deepEqual(Object.keys(record.b), ['d', 'c']);
  });

  test('values JSON cannot hold are INVALID_RECORD', () => {
    for (const [value, expected] of [
      [
        Number.POSITIVE_INFINITY,
        'value at "size" is Infinity, which JSON cannot represent (expected a finite number)',
      ],
      [Number.NaN, 'value at "size" is NaN, which JSON cannot represent (expected a finite number)'],
      [10n, 'value at "size" is a bigint, which JSON cannot represent'],
    ] as const) {
      assert.throws(
        () => canonicalRecordJson({ size: value }),
        (error: unknown) =>
          error instanceof CondaError &&
          error.code === CondaErrorCode.InvalidRecord &&
          error.message === expected,
      );
    }
  });
});

describe('canonicalJson and helpers', () => {
  test('sorts keys at every depth and keeps array order', () => {
    assert.equal(
      canonicalJson({ b: [3, { z: 1, y: null }], a: 'é' }),
      '{"a":"\\u00e9","b":[3,{"y":null,"z":1}]}',
    );
  });

  test('toAsciiJson leaves ASCII alone', () => {
    const ascii = '{"a":"b ~"}';
    assert.equal(toAsciiJson(ascii), ascii);
  });

  test('compareFilenames orders like Python sorted() for conda filenames', () => {
    const names = [
      'b-1-0.conda',
      'B-1-0.conda',
      'a_b-1-0.conda',
      'a-b-1-0.conda',
      'a-1-0.conda',
      'a.b-1-0.conda',
    ];
    assert.deepEqual(names.sort(compareFilenames), [
      'B-1-0.conda',
      'a-1-0.conda',
      'a-b-1-0.conda',
      'a.b-1-0.conda',
      'a_b-1-0.conda',
      'b-1-0.conda',
    ]);
  });
});
