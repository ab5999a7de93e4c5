/** bzip2's CRC-32: polynomial 0x04c11db7, most significant bit first (not the zlib CRC). */
export const BZIP2_CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 24;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    table[i] = crc >>> 0;
  }
  return table;
})();

/** The running (not yet inverted) CRC after `count` copies of `byte`. Start from 0xffffffff. */
export function updateCrcRepeated(crc: number, byte: number, count: number): number {
  let value = crc;
  for (let i = 0; i < count; i++) value = (value << 8) ^ BZIP2_CRC_TABLE[((value >>> 24) ^ byte) & 0xff]!;
  return value;
}

/** Folds a block's CRC into the stream's combined CRC, as the stream trailer stores it. */
export function combineStreamCrc(combined: number, blockCrc: number): number {
  return (((combined << 1) | (combined >>> 31)) ^ blockCrc) >>> 0;
}
