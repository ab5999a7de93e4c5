/**
 * A least-recently-used map with a fixed capacity. Values pushed out go to `onEvict`, which is how the
 * rattler caches free the WASM objects they own: a plain Map would pin WASM memory for every distinct
 * version string of a 500 k-record channel.
 */
export class BoundedCache<K, V> {
  readonly #capacity: number;
  readonly #onEvict: ((value: V) => void) | undefined;
  readonly #entries = new Map<K, V>();
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(capacity: number, onEvict?: (value: V) => void) {
    if (!Number.isInteger(capacity) || capacity < 2) {
      throw new RangeError(`cache capacity must be an integer >= 2, got ${capacity}`);
    }
    this.#capacity = capacity;
    this.#onEvict = onEvict;
  }

  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    // Re-inserting moves the key to the back of the Map's insertion order, which is the LRU order.
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#entries.delete(key);
      if (previous !== value) this.#onEvict?.(previous);
    }
    while (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.entries().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest[0]);
      this.#evictions++;
      this.#onEvict?.(oldest[1]);
    }
    this.#entries.set(key, value);
  }

  clear(): void {
    const values = [...this.#entries.values()];
    this.#entries.clear();
    if (this.#onEvict) for (const value of values) this.#onEvict(value);
  }

  get size(): number {
    return this.#entries.size;
  }

  stats(): CacheStats {
    return {
      size: this.#entries.size,
      capacity: this.#capacity,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
    };
  }
}

export interface CacheStats {
  size: number;
  capacity: number;
  hits: number;
  misses: number;
  evictions: number;
}
