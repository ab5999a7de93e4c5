/** The 48-bit magic before every block (the digits of pi), split into 24-bit halves. */
export const BLOCK_MAGIC_HIGH = 0x314159;
export const BLOCK_MAGIC_LOW = 0x265359;
/** The 48-bit magic before the stream trailer (the digits of sqrt(pi)). */
export const END_MAGIC_HIGH = 0x177245;
export const END_MAGIC_LOW = 0x385090;
/** Symbols per Huffman selector group. */
export const GROUP_SIZE = 50;
/** Fewest and most Huffman tables a block may carry. */
export const MIN_TABLES = 2;
export const MAX_TABLES = 6;
/** Longest code bzip2's own encoder emits (its decoder accepts up to 20). */
export const MAX_CODE_LENGTH = 17;
