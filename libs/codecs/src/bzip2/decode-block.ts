import { CodecError, CodecErrorCode } from '../errors.ts';
import { type Bzip2BitReader, truncatedBzip2 } from './bit-reader.ts';

const MAX_CODE_LENGTH = 20;
const MAX_GROUPS = 6;
const MIN_GROUPS = 2;
const SYMBOLS_PER_GROUP = 50;
/** bzip2 1.0.8 reads up to 32767 selectors but uses at most this many (CVE-2019-12900). */
const MAX_USED_SELECTORS = 18002;
/** Move-to-front shifts up to this rank are done by a loop, longer ones by copyWithin. */
const MTF_LOOP_MAX_RANK = 32;

/** One decoded block, before the inverse Burrows-Wheeler transform is walked. */
export interface Bzip2Block {
  /** Bytes in the block (before run-length decoding). */
  length: number;
  /** Row of the original string in the sorted rotations. */
  origPtr: number;
  /** CRC of the block's decompressed bytes, as stored. */
  storedCrc: number;
}

interface HuffmanTable {
  minLength: number;
  maxLength: number;
  limit: Int32Array;
  base: Int32Array;
  perm: Int32Array;
}

function fail(problem: string): never {
  throw new CodecError(CodecErrorCode.MalformedData, `bzip2 block is corrupt: ${problem}`);
}

/** Canonical Huffman decoding tables from code lengths (bzip2's `BZ2_hbCreateDecodeTables`). */
function buildTable(lengths: Uint8Array): HuffmanTable {
  let minLength = MAX_CODE_LENGTH;
  let maxLength = 0;
  for (const length of lengths) {
    if (length < minLength) minLength = length;
    if (length > maxLength) maxLength = length;
  }
  const perm = new Int32Array(lengths.length);
  let next = 0;
  for (let length = minLength; length <= maxLength; length++) {
    for (let symbol = 0; symbol < lengths.length; symbol++)
      if (lengths[symbol] === length) perm[next++] = symbol;
  }
  const base = new Int32Array(MAX_CODE_LENGTH + 3);
  for (const length of lengths) base[length + 1]!++;
  for (let i = 1; i < base.length; i++) base[i]! += base[i - 1]!;
  const limit = new Int32Array(MAX_CODE_LENGTH + 2).fill(-1);
  let code = 0;
  for (let length = minLength; length <= maxLength; length++) {
    code += base[length + 1]! - base[length]!;
    limit[length] = code - 1;
    code <<= 1;
  }
  for (let length = minLength + 1; length <= maxLength; length++) {
    base[length] = ((limit[length - 1]! + 1) << 1) - base[length]!;
  }
  return { minLength, maxLength, limit, base, perm };
}

/** The used byte values, from the two-level 16×16 bitmap. */
function readSymbolMap(bits: Bzip2BitReader): Uint8Array {
  const used = bits.read(16);
  const symbols: number[] = [];
  for (let high = 0; high < 16; high++) {
    if ((used & (0x8000 >>> high)) === 0) continue;
    const row = bits.read(16);
    for (let low = 0; low < 16; low++) if (row & (0x8000 >>> low)) symbols.push(high * 16 + low);
  }
  if (symbols.length === 0) fail('block uses no symbols');
  return Uint8Array.from(symbols);
}

function readSelectors(bits: Bzip2BitReader, groupCount: number): Uint8Array {
  const selectorCount = bits.read(15);
  if (selectorCount === 0) fail('block has no Huffman selectors');
  const order = Uint8Array.from({ length: groupCount }, (_, i) => i);
  const selectors = new Uint8Array(Math.min(selectorCount, MAX_USED_SELECTORS));
  for (let i = 0; i < selectorCount; i++) {
    let rank = 0;
    while (bits.readBit()) {
      rank++;
      if (rank >= groupCount) fail('Huffman selector out of range');
    }
    const group = order[rank]!;
    order.copyWithin(1, 0, rank);
    order[0] = group;
    if (i < selectors.length) selectors[i] = group;
  }
  return selectors;
}

function readTables(bits: Bzip2BitReader, groupCount: number, alphabetSize: number): HuffmanTable[] {
  const tables: HuffmanTable[] = [];
  for (let group = 0; group < groupCount; group++) {
    const lengths = new Uint8Array(alphabetSize);
    let length = bits.read(5);
    for (let symbol = 0; symbol < alphabetSize; symbol++) {
      for (;;) {
        if (length < 1 || length > MAX_CODE_LENGTH) fail('Huffman code length out of range');
        if (!bits.readBit()) break;
        length += bits.readBit() ? -1 : 1;
      }
      lengths[symbol] = length;
    }
    tables.push(buildTable(lengths));
  }
  return tables;
}

/**
 * Decodes one block (after its 48-bit magic) into `tt`: afterwards `tt[i] & 0xff` holds byte i of
 * the BWT output and `tt[i] >>> 8` the inverse-transform link, ready for `Bzip2BlockWriter`.
 * `tt.length` is the stream's block size, which bounds every run and so the work per block.
 */
export function decodeBlock(bits: Bzip2BitReader, tt: Int32Array): Bzip2Block {
  const storedCrc = bits.read32();
  if (bits.readBit()) {
    throw new CodecError(
      CodecErrorCode.Unsupported,
      'bzip2 block is randomised (written by bzip2 before 0.9.5, 1998), which this decoder does not support',
    );
  }
  const origPtr = bits.read(24);
  const symbolToByte = readSymbolMap(bits);
  const alphabetSize = symbolToByte.length + 2;
  const groupCount = bits.read(3);
  if (groupCount < MIN_GROUPS || groupCount > MAX_GROUPS) fail(`invalid Huffman group count ${groupCount}`);
  const selectors = readSelectors(bits, groupCount);
  const tables = readTables(bits, groupCount, alphabetSize);

  const endOfBlock = alphabetSize - 1;
  const moveToFront = Uint8Array.from({ length: 256 }, (_, i) => i);
  const byteCount = new Int32Array(256);
  const capacity = tt.length;
  let length = 0;
  let runLength = 0;
  let runWeight = 0;
  let selectorIndex = 0;
  let groupLeft = 0;
  let table = tables[0]!;
  // The bit reader's state in locals: a method call per bit was much of the decoding time. Past
  // the end of the input the buffer is padded with zero bits (`padded` of them) so a peek never
  // fails; consuming a padded bit means the data is truncated.
  const state = bits.saveState();
  const bytes = state.bytes;
  let position = state.position;
  let bitBuffer = state.bitBuffer;
  let bitCount = state.bitCount;
  let padded = 0;
  for (;;) {
    if (groupLeft === 0) {
      if (selectorIndex >= selectors.length) fail('block has more symbols than selectors');
      table = tables[selectors[selectorIndex++]!]!;
      groupLeft = SYMBOLS_PER_GROUP;
    }
    groupLeft--;
    while (bitCount < MAX_CODE_LENGTH) {
      if (position < bytes.length) {
        bitBuffer = (bitBuffer << 8) | bytes[position++]!;
      } else {
        bitBuffer <<= 8;
        padded += 8;
      }
      bitCount += 8;
    }
    // The next MAX_CODE_LENGTH bits; the code is the shortest prefix within its length's limit.
    const peek = (bitBuffer >>> (bitCount - MAX_CODE_LENGTH)) & ((1 << MAX_CODE_LENGTH) - 1);
    const limit = table.limit;
    let codeLength = table.minLength;
    let code = peek >>> (MAX_CODE_LENGTH - codeLength);
    while (code > limit[codeLength]!) {
      codeLength++;
      if (codeLength > table.maxLength) fail('invalid Huffman code');
      code = peek >>> (MAX_CODE_LENGTH - codeLength);
    }
    bitCount -= codeLength;
    if (bitCount < padded) throw truncatedBzip2();
    const codeIndex = code - table.base[codeLength]!;
    if (codeIndex < 0 || codeIndex >= alphabetSize) fail('invalid Huffman code');
    const symbol = table.perm[codeIndex]!;
    if (symbol <= 1) {
      // RUNA/RUNB: a run of the front byte, its length written in bijective base 2.
      if (runWeight === 0) runWeight = 1;
      runLength += symbol === 0 ? runWeight : 2 * runWeight;
      runWeight *= 2;
      if (runLength > capacity) fail('run longer than the block size');
      continue;
    }
    if (runWeight !== 0) {
      if (length + runLength > capacity) fail('block longer than the block size');
      const byte = symbolToByte[moveToFront[0]!]!;
      byteCount[byte]! += runLength;
      tt.fill(byte, length, length + runLength);
      length += runLength;
      runLength = 0;
      runWeight = 0;
    }
    if (symbol === endOfBlock) break;
    const rank = symbol - 1;
    const index = moveToFront[rank]!;
    // Most ranks are small: a loop beats calling copyWithin, which cost a third of the decoding.
    if (rank < MTF_LOOP_MAX_RANK) for (let i = rank; i > 0; i--) moveToFront[i] = moveToFront[i - 1]!;
    else moveToFront.copyWithin(1, 0, rank);
    moveToFront[0] = index;
    if (length >= capacity) fail('block longer than the block size');
    const byte = symbolToByte[index]!;
    byteCount[byte]!++;
    tt[length++] = byte;
  }
  bits.restoreState({ bytes, position, bitBuffer: bitBuffer >>> padded, bitCount: bitCount - padded });
  if (origPtr >= length) fail('block origin pointer out of range');

  // Inverse BWT links: the i-th occurrence of byte b in the last column sits at row start[b] + i.
  let sum = 0;
  for (let byte = 0; byte < 256; byte++) {
    const count = byteCount[byte]!;
    byteCount[byte] = sum;
    sum += count;
  }
  for (let i = 0; i < length; i++) {
    const byte = tt[i]! & 0xff;
    tt[byteCount[byte]!]! |= i << 8;
    byteCount[byte]!++;
  }
  return { length, origPtr, storedCrc };
}
