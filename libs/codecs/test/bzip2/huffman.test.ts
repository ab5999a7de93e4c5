import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalCodes, huffmanCodeLengths } from '../../src/bzip2/huffman.ts';

/** Sum of 2^-length: exactly 1 for a complete prefix code. */
function kraftSum(lengths: Uint8Array): number {
  return lengths.reduce((sum, length) => sum + 2 ** -length, 0);
}

describe('huffmanCodeLengths', () => {
  test('gives optimal lengths for a textbook distribution', () => {
    assert.deepEqual([...huffmanCodeLengths([45, 13, 12, 16, 9, 5], 6, 17)], [1, 3, 3, 3, 4, 4]);
  });

  test('gives unused symbols a code too (bzip2 stores a length for every symbol)', () => {
    const lengths = huffmanCodeLengths([100, 0, 0, 50], 4, 17);
    assert.ok(lengths.every((length) => length >= 1));
    assert.equal(kraftSum(lengths), 1);
  });

  test('keeps Fibonacci-skewed codes within the length limit and complete', () => {
    const fibonacci = [1, 1];
    while (fibonacci.length < 40) fibonacci.push(fibonacci.at(-1)! + fibonacci.at(-2)!);
    const unlimited = huffmanCodeLengths(fibonacci, fibonacci.length, 64);
    assert.equal(Math.max(...unlimited), 39);
    const limited = huffmanCodeLengths(fibonacci, fibonacci.length, 17);
    assert.equal(Math.max(...limited), 17);
    assert.equal(kraftSum(limited), 1);
  });
});

describe('canonicalCodes', () => {
  test('numbers codes by length, then by symbol, as bzip2 decoders rebuild them', () => {
    const codes = canonicalCodes(Uint8Array.of(2, 3, 3, 1));
    assert.deepEqual([...codes], [0b10, 0b110, 0b111, 0b0]);
  });
});
