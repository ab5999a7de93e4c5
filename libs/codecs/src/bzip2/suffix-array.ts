/**
 * Suffix arrays by induced sorting (SA-IS; Nong, Zhang and Chan, 2009): linear time and memory
 * whatever the text looks like, which matters for bzip2 blocks of repodata.json, where long
 * repeats make comparison sorts crawl.
 */

const L_TYPE = 0;
const S_TYPE = 1;

/**
 * The suffix array of `text`, whose values lie in `[0, alphabetSize)`. The last value must be 0
 * and occur nowhere else (the sentinel that makes every suffix distinct).
 */
export function buildSuffixArray(text: Int32Array, alphabetSize: number): Int32Array {
  const n = text.length;
  if (n === 0 || text[n - 1] !== 0) throw new RangeError('the text must end with the sentinel 0');
  const suffixes = new Int32Array(n);
  induceSort(text, suffixes, alphabetSize);
  return suffixes;
}

/** S-type: the suffix is smaller than the one after it; L-type: larger. */
function classify(text: Int32Array): Uint8Array {
  const n = text.length;
  const types = new Uint8Array(n);
  types[n - 1] = S_TYPE;
  for (let i = n - 2; i >= 0; i--) {
    const here = text[i]!;
    const next = text[i + 1]!;
    types[i] = here < next || (here === next && types[i + 1] === S_TYPE) ? S_TYPE : L_TYPE;
  }
  return types;
}

/** Leftmost S-type position: an S-type suffix right after an L-type one. */
function isLms(types: Uint8Array, i: number): boolean {
  return i > 0 && types[i] === S_TYPE && types[i - 1] === L_TYPE;
}

/** Fills `edges` with each character's bucket start (or end, exclusive) in the suffix array. */
function bucketEdges(text: Int32Array, alphabetSize: number, ends: boolean, edges: Int32Array): void {
  edges.fill(0);
  for (let i = 0; i < text.length; i++) edges[text[i]!]!++;
  let sum = 0;
  for (let c = 0; c < alphabetSize; c++) {
    const count = edges[c]!;
    sum += count;
    edges[c] = ends ? sum : sum - count;
  }
}

/** From LMS suffixes already in place, sorts the L-type suffixes, then the S-type ones. */
function induce(
  text: Int32Array,
  suffixes: Int32Array,
  types: Uint8Array,
  alphabetSize: number,
  edges: Int32Array,
) {
  const n = text.length;
  bucketEdges(text, alphabetSize, false, edges);
  for (let i = 0; i < n; i++) {
    const j = suffixes[i]! - 1;
    if (j >= 0 && types[j] === L_TYPE) suffixes[edges[text[j]!]!++] = j;
  }
  bucketEdges(text, alphabetSize, true, edges);
  for (let i = n - 1; i >= 0; i--) {
    const j = suffixes[i]! - 1;
    if (j >= 0 && types[j] === S_TYPE) suffixes[--edges[text[j]!]!] = j;
  }
}

/** True when the LMS substrings starting at `a` and `b` differ (in characters or types). */
function lmsSubstringsDiffer(text: Int32Array, types: Uint8Array, a: number, b: number): boolean {
  for (let d = 0; ; d++) {
    if (text[a + d] !== text[b + d] || types[a + d] !== types[b + d]) return true;
    // The sentinel differs from everything at d = 0, so both substrings end inside the text.
    if (d > 0 && (isLms(types, a + d) || isLms(types, b + d))) return false;
  }
}

function induceSort(text: Int32Array, suffixes: Int32Array, alphabetSize: number): void {
  const n = text.length;
  if (n === 1) {
    suffixes[0] = 0;
    return;
  }
  const types = classify(text);
  const edges = new Int32Array(alphabetSize);

  // 1. Sort the LMS substrings: LMS positions at their buckets' ends, then one induction pass.
  suffixes.fill(-1);
  bucketEdges(text, alphabetSize, true, edges);
  for (let i = 1; i < n; i++) if (isLms(types, i)) suffixes[--edges[text[i]!]!] = i;
  induce(text, suffixes, types, alphabetSize, edges);

  // 2. Name each LMS substring by its rank among distinct ones. LMS positions are at least two
  // apart, so position >> 1 is a collision-free slot in the upper half of the array.
  let lmsCount = 0;
  for (let i = 0; i < n; i++) {
    const position = suffixes[i]!;
    if (isLms(types, position)) suffixes[lmsCount++] = position;
  }
  suffixes.fill(-1, lmsCount);
  let names = 0;
  let previous = -1;
  for (let i = 0; i < lmsCount; i++) {
    const position = suffixes[i]!;
    if (previous < 0 || lmsSubstringsDiffer(text, types, position, previous)) {
      names++;
      previous = position;
    }
    suffixes[lmsCount + (position >> 1)] = names - 1;
  }
  const reduced = new Int32Array(lmsCount);
  for (let i = lmsCount, j = 0; i < n; i++) if (suffixes[i]! >= 0) reduced[j++] = suffixes[i]!;

  // 3. Sort the LMS suffixes: directly when every name is unique, else by recursing on the names.
  const reducedSuffixes = new Int32Array(lmsCount);
  if (names < lmsCount) induceSort(reduced, reducedSuffixes, names);
  else for (let i = 0; i < lmsCount; i++) reducedSuffixes[reduced[i]!] = i;

  // 4. Place the sorted LMS suffixes at their buckets' ends and induce the rest from them.
  const lmsPositions = reduced;
  for (let i = 1, j = 0; i < n; i++) if (isLms(types, i)) lmsPositions[j++] = i;
  suffixes.fill(-1);
  bucketEdges(text, alphabetSize, true, edges);
  for (let i = lmsCount - 1; i >= 0; i--) {
    const position = lmsPositions[reducedSuffixes[i]!]!;
    suffixes[--edges[text[position]!]!] = position;
  }
  induce(text, suffixes, types, alphabetSize, edges);
}
