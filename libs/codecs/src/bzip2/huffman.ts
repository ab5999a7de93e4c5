/**
 * Huffman code lengths no longer than `maxLength` for every symbol of the alphabet, unused ones
 * included (bzip2 stores a length for each). Like bzip2's own encoder, an over-long code is
 * avoided by flattening the weights (w → 1 + w/2) and building again.
 */
export function huffmanCodeLengths(
  frequencies: ArrayLike<number>,
  alphabetSize: number,
  maxLength: number,
): Uint8Array {
  const weights = new Float64Array(2 * alphabetSize);
  for (let i = 0; i < alphabetSize; i++) weights[i] = Math.max(1, frequencies[i] ?? 0);
  for (;;) {
    const lengths = buildLengths(weights, alphabetSize);
    let longest = 0;
    for (let i = 0; i < alphabetSize; i++) longest = Math.max(longest, lengths[i]!);
    if (longest <= maxLength) return lengths;
    for (let i = 0; i < alphabetSize; i++) weights[i] = 1 + Math.floor(weights[i]! / 2);
  }
}

/**
 * Plain Huffman by the two-queue method: leaves in weight order, merged nodes appended in the
 * order they are made (which is already weight order). Parents always have higher indices than
 * their children, so one backward pass gives every depth.
 */
function buildLengths(weights: Float64Array, leafCount: number): Uint8Array {
  const leaves = Array.from({ length: leafCount }, (_, i) => i).sort(
    (a, b) => weights[a]! - weights[b]! || a - b,
  );
  const parent = new Int32Array(2 * leafCount - 1);
  let nextLeaf = 0;
  let nextMerged = leafCount;
  let made = leafCount;
  const takeLightest = (): number => {
    if (nextLeaf < leafCount && (nextMerged >= made || weights[leaves[nextLeaf]!]! <= weights[nextMerged]!)) {
      return leaves[nextLeaf++]!;
    }
    return nextMerged++;
  };
  while (made < 2 * leafCount - 1) {
    const a = takeLightest();
    const b = takeLightest();
    weights[made] = weights[a]! + weights[b]!;
    parent[a] = made;
    parent[b] = made;
    made++;
  }
  const depth = new Uint8Array(2 * leafCount - 1);
  for (let node = 2 * leafCount - 3; node >= 0; node--) depth[node] = depth[parent[node]!]! + 1;
  return depth.slice(0, leafCount);
}

/** Canonical codes for `lengths`, assigned as bzip2's decoder expects (by length, then symbol). */
export function canonicalCodes(lengths: Uint8Array): Int32Array {
  const codes = new Int32Array(lengths.length);
  let code = 0;
  for (let length = 1; length <= 32; length++) {
    for (let symbol = 0; symbol < lengths.length; symbol++)
      if (lengths[symbol] === length) codes[symbol] = code++;
    code <<= 1;
  }
  return codes;
}
