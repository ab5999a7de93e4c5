import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RecordStringPool } from '../../src/repodata/record-string-pool.ts';

/** A string with the same characters that is certainly a distinct heap object. */
const fresh = (value: string): string => [...value].join('');

describe('RecordStringPool', () => {
  test('makes equal depends, licenses and versions of two records the same strings, in place', () => {
    const pool = new RecordStringPool();
    const make = () => ({
      name: fresh('numpy'),
      version: fresh('1.26.4'),
      build: fresh('py312h_0'),
      build_number: 0,
      depends: [fresh('python >=3.12,<3.13.0a0'), fresh('libgcc-ng >=12')],
      license: fresh('BSD-3-Clause'),
      sha256: fresh('ab'.repeat(32)),
    });
    const one = make();
    const two = make();
    assert.equal(pool.internRecord(one), one, 'the same record comes back');
    pool.internRecord(two);
    assert.deepEqual(one, make(), 'values are unchanged');
    assert.equal(pool.size, 5, 'name, version, two depends and the license were pooled');
    assert.equal(pool.intern(fresh('libgcc-ng >=12')), one.depends[1]);
    assert.equal(pool.intern(fresh('py312h_0')), 'py312h_0');
    assert.equal(pool.size, 6, 'build and sha256 were never pooled (unique per record)');
  });

  test('stops growing at maxEntries and hands new strings back as they are', () => {
    const pool = new RecordStringPool(2);
    pool.intern('a');
    pool.intern('b');
    assert.equal(pool.intern('c'), 'c');
    assert.equal(pool.size, 2);
  });
});
