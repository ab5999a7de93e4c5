/** Symbols 0 and 1 (RUNA, RUNB) spell the length of a run of zeros in bijective base 2. */
const RUN_A = 0;
const RUN_B = 1;

export interface MoveToFrontResult {
  /** Which byte values occur in the block (bzip2's symbol map). */
  inUse: Uint8Array;
  /** Distinct byte values plus RUNA/RUNB shifted in and the end-of-block symbol. */
  alphabetSize: number;
  /** The coded symbols, ending with end-of-block. */
  symbols: Uint16Array;
  count: number;
  /** How often each symbol occurs. */
  frequencies: Int32Array;
}

/**
 * bzip2's second stage: move-to-front over the bytes in use, runs of zeros as RUNA/RUNB digits,
 * every other position p as symbol p + 1, then end-of-block.
 */
export function moveToFrontEncode(last: Uint8Array): MoveToFrontResult {
  const inUse = new Uint8Array(256);
  for (let i = 0; i < last.length; i++) inUse[last[i]!] = 1;
  const toSequence = new Uint8Array(256);
  let used = 0;
  for (let byte = 0; byte < 256; byte++) if (inUse[byte]) toSequence[byte] = used++;
  const alphabetSize = used + 2;
  const endOfBlock = used + 1;

  const order = new Uint8Array(used);
  for (let i = 0; i < used; i++) order[i] = i;
  const symbols = new Uint16Array(last.length + 1);
  const frequencies = new Int32Array(alphabetSize);
  let count = 0;
  let zeros = 0;
  const flushZeros = (): void => {
    let run = zeros - 1;
    for (;;) {
      const digit = run & 1 ? RUN_B : RUN_A;
      symbols[count++] = digit;
      frequencies[digit]!++;
      if (run < 2) break;
      run = (run - 2) >> 1;
    }
    zeros = 0;
  };

  for (let i = 0; i < last.length; i++) {
    const value = toSequence[last[i]!]!;
    if (order[0] === value) {
      zeros++;
      continue;
    }
    if (zeros > 0) flushZeros();
    let position = 0;
    let carried = order[0]!;
    while (carried !== value) {
      position++;
      const next = order[position]!;
      order[position] = carried;
      carried = next;
    }
    order[0] = value;
    symbols[count++] = position + 1;
    frequencies[position + 1]!++;
  }
  if (zeros > 0) flushZeros();
  symbols[count++] = endOfBlock;
  frequencies[endOfBlock]!++;
  return { inUse, alphabetSize, symbols, count, frequencies };
}
