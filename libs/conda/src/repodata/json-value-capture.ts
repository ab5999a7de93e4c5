import { Buffer, isAscii } from 'node:buffer';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
/** V8's own search, not Buffer's (whose per-call overhead costs more than it saves here). */
const typedArrayIndexOf = Uint8Array.prototype.indexOf;

export function isJsonWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

const Kind = { Container: 0, String: 1, Scalar: 2 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/** `scan` result: the value continues in the next chunk. */
export const NEED_MORE = -1;
/** `scan` result: an object or array nests deeper than allowed; `failedAt` says where. */
export const TOO_DEEP = -2;

/**
 * Cuts the bytes of one JSON value (or one key, which is a string) out of a chunked byte stream.
 * It only finds where the value ends: objects and arrays by bracket counting that skips strings,
 * strings by their closing quote, numbers and literals by the next delimiter. Whoever gets the
 * bytes JSON.parses them, which is what checks the syntax.
 */
export class JsonValueCapture {
  /** Absolute offset of the value's first byte in the document. */
  offset = 0;
  /** Chunk index at which `scan` returned TOO_DEEP. */
  failedAt = 0;
  #kind: Kind = Kind.Container;
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** Index in the current chunk where the not yet copied part of the value starts. */
  #start = 0;
  #parts: Uint8Array[] = [];
  #carried = 0;

  /** Starts a value whose first byte `first` is at index `i` of the chunk. False if no JSON value starts so. */
  begin(first: number, i: number, offset: number): boolean {
    if (first === OPEN_BRACE || first === OPEN_BRACKET) {
      this.#kind = Kind.Container;
      this.#depth = 1;
    } else if (first === QUOTE) {
      this.#kind = Kind.String;
    } else if (
      first === 0x2d ||
      (first >= 0x30 && first <= 0x39) ||
      first === 0x74 ||
      first === 0x66 ||
      first === 0x6e
    ) {
      this.#kind = Kind.Scalar; // '-', digit, true, false, null
    } else {
      return false;
    }
    this.offset = offset;
    this.#inString = false;
    this.#escaped = false;
    this.#start = i;
    this.#parts = [];
    this.#carried = 0;
    return true;
  }

  /**
   * Scans from index `i` (just after the first byte or where the last chunk ended). Returns the
   * index just past the value's last byte, NEED_MORE or TOO_DEEP.
   */
  scan(buf: Uint8Array, i: number, n: number, maxDepth: number): number {
    if (this.#kind === Kind.Container) return this.#scanContainer(buf, i, n, maxDepth);
    if (this.#kind === Kind.String) {
      let escaped = this.#escaped;
      for (; i < n; i++) {
        const b = buf[i]!;
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) return i + 1;
      }
      this.#escaped = escaped;
      return NEED_MORE;
    }
    // A number or literal ends at the first delimiter, which the enclosing object then reads.
    for (; i < n; i++) {
      const b = buf[i]!;
      if (b === COMMA || b === CLOSE_BRACE || b === CLOSE_BRACKET || isJsonWhitespace(b)) return i;
    }
    return NEED_MORE;
  }

  #scanContainer(buf: Uint8Array, i: number, n: number, maxDepth: number): number {
    let depth = this.#depth;
    let inString = this.#inString;
    let escaped = this.#escaped;
    for (; i < n; i++) {
      if (inString && !escaped) {
        // Most of a record is string bytes: jump to the next quote natively. Unless a backslash
        // precedes it (an escape, rare in repodata), it closes the string; otherwise the loop
        // below walks the bytes one by one, which also handles a string cut by the chunk's end.
        const quote = typedArrayIndexOf.call(buf, QUOTE, i);
        if (quote !== -1 && (quote === i || buf[quote - 1] !== BACKSLASH)) {
          inString = false;
          i = quote;
          continue;
        }
      }
      const b = buf[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) inString = false;
      } else if (b === QUOTE) {
        inString = true;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (++depth > maxDepth) {
          this.failedAt = i;
          return TOO_DEEP;
        }
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        if (--depth === 0) {
          this.#depth = 0;
          return i + 1;
        }
      }
    }
    this.#depth = depth;
    this.#inString = inString;
    this.#escaped = escaped;
    return NEED_MORE;
  }

  /** Bytes captured so far if the value ended at index `end` of the current chunk. */
  size(end: number): number {
    return this.#carried + (end - this.#start);
  }

  /**
   * The value's text, given that it ends at index `end` of `chunk` (the current chunk, which the
   * caller found to be all ASCII or not). An ASCII value within one chunk is read straight out of
   * it (ASCII is valid UTF-8, and a one-byte string is the cheapest V8 makes); anything else goes
   * through the fatal UTF-8 `decoder`, which throws on invalid bytes.
   */
  text(
    chunk: Buffer,
    chunkIsAscii: boolean,
    end: number,
    decoder: { decode(bytes: Uint8Array): string },
  ): string {
    if (this.#parts.length === 0 && chunkIsAscii) return chunk.toString('latin1', this.#start, end);
    const bytes = this.bytes(chunk, end);
    return isAscii(bytes)
      ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1')
      : decoder.decode(bytes);
  }

  /**
   * The key's text when it is a plain ASCII string within one chunk (no escape, no control
   * character: what every filename is), without its quotes; undefined otherwise (then JSON.parse
   * the `bytes`).
   */
  plainKey(chunk: Buffer, chunkIsAscii: boolean, end: number): string | undefined {
    if (this.#parts.length !== 0 || !chunkIsAscii) return undefined;
    const last = end - 1;
    for (let i = this.#start + 1; i < last; i++) {
      const b = chunk[i]!;
      if (b === BACKSLASH || b < 0x20) return undefined;
    }
    return chunk.toString('latin1', this.#start + 1, last);
  }

  /** The value's bytes, given that it ends at index `end` of `buf` (the current chunk). */
  bytes(buf: Uint8Array, end: number): Uint8Array {
    const tail = buf.subarray(this.#start, end);
    if (this.#parts.length === 0) return tail;
    const out = new Uint8Array(this.#carried + tail.length);
    let at = 0;
    for (const part of this.#parts) {
      out.set(part, at);
      at += part.length;
    }
    out.set(tail, at);
    this.#parts = [];
    return out;
  }

  /**
   * Copies the unfinished value out of the used-up chunk `buf`: the source may refill the same
   * memory for its next chunk as soon as we ask for it.
   */
  carry(buf: Uint8Array): void {
    if (this.#start >= buf.length) return;
    // A copy: `slice` of a Buffer would be a view into the memory the source is about to refill.
    const part = new Uint8Array(buf.subarray(this.#start, buf.length));
    this.#parts.push(part);
    this.#carried += part.length;
    this.#start = buf.length;
  }

  /** A new chunk begins: the value continues at its index 0. */
  rebase(): void {
    this.#start = 0;
  }
}
