import { buildSuffixArray } from './suffix-array.ts';

export interface BurrowsWheelerResult {
  /** Last column of the sorted rotations. */
  last: Uint8Array;
  /** Row of the sorted rotations that holds the block itself (bzip2's origPtr). */
  origin: number;
}

/**
 * The Burrows–Wheeler transform over the block's cyclic rotations, as bzip2 defines it. Rotations
 * of `b` sort like the suffixes of `b + b` that start in the first copy, so one suffix array of
 * the doubled block (bytes shifted up by one to make room for the sentinel 0) gives their order.
 * Rotations that compare equal (a periodic block) end in equal bytes, so their order is moot.
 */
export function burrowsWheeler(block: Uint8Array, length: number): BurrowsWheelerResult {
  const doubled = new Int32Array(2 * length + 1);
  for (let i = 0; i < length; i++) {
    const symbol = block[i]! + 1;
    doubled[i] = symbol;
    doubled[i + length] = symbol;
  }
  const suffixes = buildSuffixArray(doubled, 257);
  const last = new Uint8Array(length);
  let origin = 0;
  let row = 0;
  for (let i = 0; i < suffixes.length; i++) {
    const start = suffixes[i]!;
    if (start >= length) continue;
    if (start === 0) origin = row;
    last[row++] = block[start === 0 ? length - 1 : start - 1]!;
  }
  return { last, origin };
}
