// A size-capped Map: inserting beyond the cap evicts the oldest insertion (FIFO, cheap and bounded).
// Callers store their own expiry in the value and check it on every hit.

export class BoundedCache<K, V> {
  readonly #map = new Map<K, V>();
  readonly #max: number;
  readonly #onEvict: ((key: K, value: V) => void) | undefined;

  /** onEvict is called for entries the cap pushes out (not for delete/clear). */
  constructor(max: number, onEvict?: (key: K, value: V) => void) {
    this.#max = max;
    this.#onEvict = onEvict;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size <= this.#max) return;
    const oldest = this.#map.entries().next();
    if (oldest.done) return;
    const [oldKey, oldValue] = oldest.value;
    this.#map.delete(oldKey);
    this.#onEvict?.(oldKey, oldValue);
  }

  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  /** Deletes every entry the predicate selects. */
  deleteWhere(predicate: (value: V, key: K) => boolean): number {
    let n = 0;
    for (const [key, value] of this.#map) {
      if (predicate(value, key)) {
        this.#map.delete(key);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    this.#map.clear();
  }
}
