import { GROUP_SIZE, MAX_CODE_LENGTH } from './format.ts';
import { huffmanCodeLengths } from './huffman.ts';

/** Rounds of "pick the cheapest table per group, then rebuild the tables from those picks". */
const REFINEMENT_ROUNDS = 4;

export interface CodeTables {
  /** Code length of every symbol, per table. */
  lengths: Uint8Array[];
  /** Table used by each group of 50 symbols. */
  selectors: Uint8Array;
}

/** As many tables as bzip2 uses for this many symbols: more symbols pay for more tables. */
function tableCount(symbolCount: number): number {
  if (symbolCount < 200) return 2;
  if (symbolCount < 600) return 3;
  if (symbolCount < 1200) return 4;
  if (symbolCount < 2400) return 5;
  return 6;
}

/**
 * Chooses the block's Huffman tables the way bzip2 does: start from tables that each favour one
 * slice of the alphabet (slices of about equal total frequency), then refine: each group of 50
 * symbols takes the table that codes it in fewest bits, and each table is rebuilt from the
 * symbols of the groups that took it.
 */
export function chooseCodeTables(
  symbols: Uint16Array,
  count: number,
  frequencies: Int32Array,
  alphabetSize: number,
): CodeTables {
  const tables = tableCount(count);
  const lengths = initialTables(frequencies, count, alphabetSize, tables);
  const selectors = new Uint8Array(Math.ceil(count / GROUP_SIZE));
  const costs = new Int32Array(tables);
  const tableFrequencies = Array.from({ length: tables }, () => new Int32Array(alphabetSize));
  for (let round = 0; round < REFINEMENT_ROUNDS; round++) {
    for (const counts of tableFrequencies) counts.fill(0);
    for (let start = 0, group = 0; start < count; start += GROUP_SIZE, group++) {
      const end = Math.min(start + GROUP_SIZE, count);
      costs.fill(0);
      for (let t = 0; t < tables; t++) {
        const table = lengths[t]!;
        let cost = 0;
        for (let i = start; i < end; i++) cost += table[symbols[i]!]!;
        costs[t] = cost;
      }
      let best = 0;
      for (let t = 1; t < tables; t++) if (costs[t]! < costs[best]!) best = t;
      selectors[group] = best;
      const counts = tableFrequencies[best]!;
      for (let i = start; i < end; i++) counts[symbols[i]!]!++;
    }
    for (let t = 0; t < tables; t++) {
      lengths[t] = huffmanCodeLengths(tableFrequencies[t]!, alphabetSize, MAX_CODE_LENGTH);
    }
  }
  return { lengths, selectors };
}

/** Table t is cheap (length 0) on its slice of the alphabet and dear (15) elsewhere. */
function initialTables(
  frequencies: Int32Array,
  count: number,
  alphabetSize: number,
  tables: number,
): Uint8Array[] {
  const lengths: Uint8Array[] = new Array(tables);
  let remaining = count;
  let sliceStart = 0;
  for (let left = tables; left > 0; left--) {
    const target = remaining / left;
    let sliceEnd = sliceStart - 1;
    let sliceTotal = 0;
    while (sliceTotal < target && sliceEnd < alphabetSize - 1) sliceTotal += frequencies[++sliceEnd]!;
    const table = new Uint8Array(alphabetSize).fill(15);
    for (let symbol = sliceStart; symbol <= sliceEnd; symbol++) table[symbol] = 0;
    lengths[left - 1] = table;
    sliceStart = sliceEnd + 1;
    remaining -= sliceTotal;
  }
  return lengths;
}
