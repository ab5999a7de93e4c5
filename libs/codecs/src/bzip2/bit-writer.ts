/** Bits, most significant first, into a growing byte buffer that can be drained as it fills. */
export class BitWriter {
  #bytes = new Uint8Array(1 << 20);
  #length = 0;
  #pending = 0;
  #pendingBits = 0;

  /** Appends the low `count` bits of `value` (count ≤ 24). */
  write(count: number, value: number): void {
    this.#pending = (this.#pending << count) | value;
    this.#pendingBits += count;
    while (this.#pendingBits >= 8) {
      this.#pendingBits -= 8;
      this.#push((this.#pending >>> this.#pendingBits) & 0xff);
    }
    this.#pending &= (1 << this.#pendingBits) - 1;
  }

  write32(value: number): void {
    this.write(16, value >>> 16);
    this.write(16, value & 0xffff);
  }

  /** Pads the last byte with zero bits. */
  padToByte(): void {
    if (this.#pendingBits > 0) this.write(8 - this.#pendingBits, 0);
  }

  /** The whole bytes written since the last call (the partial last byte stays). */
  take(): Uint8Array {
    const out = this.#bytes.slice(0, this.#length);
    this.#length = 0;
    return out;
  }

  get byteLength(): number {
    return this.#length;
  }

  #push(byte: number): void {
    if (this.#length === this.#bytes.length) {
      const grown = new Uint8Array(this.#bytes.length * 2);
      grown.set(this.#bytes);
      this.#bytes = grown;
    }
    this.#bytes[this.#length++] = byte;
  }
}
