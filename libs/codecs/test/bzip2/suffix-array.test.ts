import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildSuffixArray } from '../../src/bzip2/suffix-array.ts';

/** The suffix array by sorting the suffixes themselves: slow, obviously right. */
function naiveSuffixArray(values: number[]): number[] {
  const suffixes = values.map((_, i) => i);
  return suffixes.sort((a, b) => {
    for (let d = 0; ; d++) {
      const x = values[a + d];
      const y = values[b + d];
      if (x === undefined || y === undefined) return (x === undefined ? 0 : 1) - (y === undefined ? 0 : 1);
      if (x !== y) return x - y;
    }
  });
}

/** Text over `alphabet` letters (1-based) plus the sentinel 0. */
function withSentinel(values: number[]): Int32Array {
  return Int32Array.from([...values, 0]);
}

describe('buildSuffixArray (SA-IS)', () => {
  test('matches a naive sort on classic and repetitive texts', () => {
    const texts = [
      'banana',
      'mississippi',
      'abracadabra',
      'aaaaaaaaaaaa',
      'abababababab',
      'abcabcabcabd',
      'zyxwv',
      'a',
    ];
    for (const word of texts) {
      const text = withSentinel([...word].map((c) => c.charCodeAt(0)));
      assert.deepEqual([...buildSuffixArray(text, 256)], naiveSuffixArray([...text]), word);
    }
  });

  test('matches a naive sort on random texts over small and large alphabets', () => {
    let seed = 12345;
    const random = (limit: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % limit;
    };
    for (let round = 0; round < 300; round++) {
      const alphabet = [2, 3, 4, 256][round % 4]!;
      const values = Array.from({ length: 1 + random(200) }, () => 1 + random(alphabet));
      const text = withSentinel(values);
      assert.deepEqual(
        [...buildSuffixArray(text, alphabet + 1)],
        naiveSuffixArray([...text]),
        `round ${round}`,
      );
    }
  });

  test('refuses a text without the sentinel at its end', () => {
    assert.throws(() => buildSuffixArray(Int32Array.of(2, 1), 3), /must end with the sentinel 0/);
    assert.throws(() => buildSuffixArray(new Int32Array(0), 1), /must end with the sentinel 0/);
  });
});
