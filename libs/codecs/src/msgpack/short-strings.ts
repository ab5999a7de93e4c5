// Fast paths of the msgpack decoder for what repodata is made of: short ASCII strings, and the
// same dozen map keys in every record. A shard of conda-forge decodes ~1.7× faster with them
// (bench/codecs.bench.ts); anything else takes the general path (TextDecoder, fatal on bad UTF-8).

/** Strings up to this many bytes take the ASCII fast path when they are ASCII. */
export const SHORT_STRING = 32;
/** Map keys up to this many bytes are interned: a subdir's records repeat the same dozen keys. */
export const CACHED_KEY = 24;
const KEY_CACHE_SLOTS = 4096;
const keyCacheBytes: Array<Uint8Array | undefined> = new Array(KEY_CACHE_SLOTS);
const keyCacheText: Array<string | undefined> = new Array(KEY_CACHE_SLOTS);
const codes: number[] = [];

/** The ASCII string at `bytes[at..at+length)`, or null when a byte is not ASCII. */
export function shortAscii(bytes: Uint8Array, at: number, length: number): string | null {
  codes.length = length;
  for (let i = 0; i < length; i++) {
    const byte = bytes[at + i]!;
    if (byte >= 0x80) return null;
    codes[i] = byte;
  }
  return String.fromCharCode.apply(null, codes);
}

/** A short ASCII map key, from the cache when these bytes were seen before. */
export function cachedKey(bytes: Uint8Array, at: number, length: number): string | null {
  let hash = length;
  for (let i = 0; i < length; i++) hash = (Math.imul(hash, 31) + bytes[at + i]!) | 0;
  const slot = (hash >>> 0) % KEY_CACHE_SLOTS;
  const cached = keyCacheBytes[slot];
  if (cached !== undefined && cached.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (cached[i] !== bytes[at + i]) {
        same = false;
        break;
      }
    }
    if (same) return keyCacheText[slot]!;
  }
  const text = shortAscii(bytes, at, length);
  if (text === null) return null;
  // A copy: the caller's buffer may be reused, and a cached key must keep its own bytes.
  keyCacheBytes[slot] = new Uint8Array(bytes.subarray(at, at + length));
  keyCacheText[slot] = text;
  return text;
}
