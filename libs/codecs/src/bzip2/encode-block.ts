import type { BitWriter } from './bit-writer.ts';
import { burrowsWheeler } from './block-sort.ts';
import { chooseCodeTables } from './code-tables.ts';
import { BLOCK_MAGIC_HIGH, BLOCK_MAGIC_LOW, GROUP_SIZE } from './format.ts';
import { canonicalCodes } from './huffman.ts';
import { moveToFrontEncode } from './move-to-front.ts';

/**
 * Writes one bzip2 block: `block[0, length)` is already run-length coded (stage one) and `crc` is
 * the CRC of the bytes before that coding.
 */
export function encodeBlock(out: BitWriter, block: Uint8Array, length: number, crc: number): void {
  const { last, origin } = burrowsWheeler(block, length);
  const { inUse, alphabetSize, symbols, count, frequencies } = moveToFrontEncode(last);
  const { lengths, selectors } = chooseCodeTables(symbols, count, frequencies, alphabetSize);

  out.write(24, BLOCK_MAGIC_HIGH);
  out.write(24, BLOCK_MAGIC_LOW);
  out.write32(crc);
  out.write(1, 0); // not randomised
  out.write(24, origin);
  writeSymbolMap(out, inUse);
  writeSelectors(out, lengths.length, selectors);
  for (const table of lengths) writeCodeLengths(out, table);

  const codes = lengths.map(canonicalCodes);
  for (let start = 0, group = 0; start < count; start += GROUP_SIZE, group++) {
    const table = selectors[group]!;
    const tableLengths = lengths[table]!;
    const tableCodes = codes[table]!;
    const end = Math.min(start + GROUP_SIZE, count);
    for (let i = start; i < end; i++) {
      const symbol = symbols[i]!;
      out.write(tableLengths[symbol]!, tableCodes[symbol]!);
    }
  }
}

/** Which of the 16 ranges of 16 byte values occur, then which bytes in each of those. */
function writeSymbolMap(out: BitWriter, inUse: Uint8Array): void {
  let ranges = 0;
  for (let high = 0; high < 16; high++) {
    for (let low = 0; low < 16; low++) if (inUse[high * 16 + low]) ranges |= 0x8000 >>> high;
  }
  out.write(16, ranges);
  for (let high = 0; high < 16; high++) {
    if (!(ranges & (0x8000 >>> high))) continue;
    let bytes = 0;
    for (let low = 0; low < 16; low++) if (inUse[high * 16 + low]) bytes |= 0x8000 >>> low;
    out.write(16, bytes);
  }
}

/** Table count, selector count, then each selector move-to-front coded in unary. */
function writeSelectors(out: BitWriter, tables: number, selectors: Uint8Array): void {
  out.write(3, tables);
  out.write(15, selectors.length);
  const order = Array.from({ length: tables }, (_, i) => i);
  for (const selector of selectors) {
    const position = order.indexOf(selector);
    for (let i = 0; i < position; i++) out.write(1, 1);
    out.write(1, 0);
    order.splice(position, 1);
    order.unshift(selector);
  }
}

/** The first length in 5 bits, then each length as steps from the previous: 10 = +1, 11 = −1, 0 = done. */
function writeCodeLengths(out: BitWriter, lengths: Uint8Array): void {
  let current = lengths[0]!;
  out.write(5, current);
  for (const length of lengths) {
    while (current < length) {
      out.write(2, 2);
      current++;
    }
    while (current > length) {
      out.write(2, 3);
      current--;
    }
    out.write(1, 0);
  }
}
