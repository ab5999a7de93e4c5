/**
 * Longest word worth a suggestion: every config key and enum value is far shorter, and the edit
 * distance costs length × length, so a 250 000-character key must not reach it (it stalled the
 * API for seconds).
 */
export const MAX_SUGGESTED_WORD_LENGTH = 64;

/**
 * Picks the known word closest to a misspelt one, for "did you mean" hints. Returns null when
 * nothing is close enough to be a plausible typo. Costs at most 64 × 64 cells per candidate.
 */
export function closestMatch(input: string, candidates: readonly string[]): string | null {
  if (input.length > MAX_SUGGESTED_WORD_LENGTH) return null;
  const wanted = normalise(input);
  // Up to a third of the word may be wrong, at least 2 edits: `blacklst` and `dest-chanel` match,
  // `foo` does not match `log_dir`.
  const allowed = Math.max(2, Math.floor(wanted.length / 3));
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const known = normalise(candidate);
    // The distance is at least the difference in length: no need to compute it.
    if (known.length > MAX_SUGGESTED_WORD_LENGTH || Math.abs(known.length - wanted.length) > allowed)
      continue;
    const distance = editDistance(wanted, known);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== null && bestDistance <= allowed ? best : null;
}

/** `Dest-Channel` and `dest_channel` are the same typo: compare case- and separator-insensitively. */
function normalise(word: string): string {
  return word.toLowerCase().replace(/[-\s]/g, '_');
}

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions (`pltaforms`). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const table: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => table[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) table[i * cols] = i;
  for (let j = 0; j < cols; j++) table[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, at(i - 2, j - 2) + 1);
      }
      table[i * cols + j] = value;
    }
  }
  return at(rows - 1, cols - 1);
}
