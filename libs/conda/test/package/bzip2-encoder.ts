// A deliberately simple bzip2 *encoder* for tests: it lets a test build .tar.bz2 archives of any
// shape (hostile ones included) without a bzip2 binary. Real bzip2 decodes its output (checked by
// hand with `bzip2 -t`); compression is poor (one fixed-length Huffman code), which tests do not care about.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 24;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    table[i] = crc >>> 0;
  }
  return table;
})();

function bzip2Crc(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!;
  return ~crc >>> 0;
}

class BitWriter {
  readonly bytes: number[] = [];
  #buffer = 0;
  #count = 0;

  write(count: number, value: number): void {
    for (let bit = count - 1; bit >= 0; bit--) {
      this.#buffer = (this.#buffer << 1) | ((value >>> bit) & 1);
      if (++this.#count === 8) {
        this.bytes.push(this.#buffer);
        this.#buffer = 0;
        this.#count = 0;
      }
    }
  }

  finish(): Uint8Array {
    if (this.#count > 0) this.write(8 - this.#count, 0);
    return Uint8Array.from(this.bytes);
  }
}

/** Initial run-length coding: runs of 4–255 become four bytes and a count of further copies. */
function runLengthEncode(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < data.length; ) {
    const byte = data[i]!;
    let run = 1;
    while (i + run < data.length && data[i + run] === byte && run < 255) run++;
    if (run < 4) for (let k = 0; k < run; k++) out.push(byte);
    else out.push(byte, byte, byte, byte, run - 4);
    i += run;
  }
  return Uint8Array.from(out);
}

/** Sorted rotations by prefix doubling; returns the last column and the row of rotation 0. */
function burrowsWheeler(block: Uint8Array): { last: Uint8Array; origPtr: number } {
  const n = block.length;
  let rank = Array.from(block);
  let order = Array.from({ length: n }, (_, i) => i);
  for (let k = 1; ; k *= 2) {
    const key = (i: number) => rank[(i + k) % n]!;
    order.sort((a, b) => rank[a]! - rank[b]! || key(a) - key(b));
    const next = new Array<number>(n);
    next[order[0]!] = 0;
    for (let i = 1; i < n; i++) {
      const [a, b] = [order[i - 1]!, order[i]!];
      next[b] = next[a]! + (rank[a] !== rank[b] || key(a) !== key(b) ? 1 : 0);
    }
    rank = next;
    if (next[order[n - 1]!] === n - 1 || k >= n) break;
  }
  order = order.slice();
  const last = Uint8Array.from(order, (start) => block[(start + n - 1) % n]!);
  return { last, origPtr: order.indexOf(0) };
}

function writeBlock(out: BitWriter, original: Uint8Array): number {
  const block = runLengthEncode(original);
  const { last, origPtr } = burrowsWheeler(block);
  const used = [...new Set(last)].sort((a, b) => a - b);
  const symbols: number[] = [];
  const front = used.slice();
  let zeros = 0;
  const flushZeros = () => {
    if (zeros === 0) return;
    let run = zeros - 1;
    for (;;) {
      symbols.push(run & 1);
      if (run < 2) break;
      run = (run - 2) >> 1;
    }
    zeros = 0;
  };
  for (const byte of last) {
    const index = front.indexOf(byte);
    if (index === 0) {
      zeros++;
      continue;
    }
    flushZeros();
    symbols.push(index + 1);
    front.splice(index, 1);
    front.unshift(byte);
  }
  flushZeros();
  const alphabetSize = used.length + 2;
  symbols.push(alphabetSize - 1);
  const codeLength = Math.max(1, Math.ceil(Math.log2(alphabetSize)));

  const crc = bzip2Crc(original);
  out.write(24, 0x314159);
  out.write(24, 0x265359);
  out.write(32, crc);
  out.write(1, 0);
  out.write(24, origPtr);
  let groups = 0;
  for (const byte of used) groups |= 0x8000 >>> (byte >> 4);
  out.write(16, groups);
  for (let high = 0; high < 16; high++) {
    if (!(groups & (0x8000 >>> high))) continue;
    let row = 0;
    for (const byte of used) if (byte >> 4 === high) row |= 0x8000 >>> (byte & 15);
    out.write(16, row);
  }
  const selectorCount = Math.ceil(symbols.length / 50);
  out.write(3, 2);
  out.write(15, selectorCount);
  for (let i = 0; i < selectorCount; i++) out.write(1, 0);
  for (let group = 0; group < 2; group++) {
    out.write(5, codeLength);
    for (let symbol = 0; symbol < alphabetSize; symbol++) out.write(1, 0);
  }
  // Equal lengths make the canonical code of each symbol the symbol itself.
  for (const symbol of symbols) out.write(codeLength, symbol);
  return crc;
}

/** bzip2-compresses `data` (blocks of at most `blockBytes` input bytes each). */
export function compressBzip2(data: Uint8Array, blockBytes = 50_000): Uint8Array {
  const out = new BitWriter();
  out.write(8, 0x42);
  out.write(8, 0x5a);
  out.write(8, 0x68);
  out.write(8, 0x31);
  let combined = 0;
  for (let start = 0; start < data.length; start += blockBytes) {
    const crc = writeBlock(out, data.subarray(start, start + blockBytes));
    combined = (((combined << 1) | (combined >>> 31)) ^ crc) >>> 0;
  }
  out.write(24, 0x177245);
  out.write(24, 0x385090);
  out.write(32, combined);
  return out.finish();
}
