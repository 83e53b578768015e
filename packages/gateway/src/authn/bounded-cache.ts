// A size-capped Map: inserting beyond the cap evicts the oldest insertion (FIFO, cheap and bounded).
// Callers store their own expiry in the value and check it on every hit.
// The oldest entry is found with one iterator kept across evictions: a Map's iterator walks insertion order and
// skips deleted slots, so a fresh iterator per eviction re-walked every slot the evictions before it had emptied
// (V8 compacts a Map only when it grows): 24 us per insertion at 100 000 entries, measured, against 0.4 us.

export class BoundedCache<K, V> {
  readonly #map = new Map<K, V>();
  readonly #max: number;
  readonly #onEvict: ((key: K, value: V) => void) | undefined;
  /** positioned after the entries evicted so far: its next key is the oldest insertion */
  #oldest: MapIterator<K> | undefined;

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
    let oldest = this.#oldest?.next();
    if (oldest === undefined || oldest.done) {
      this.#oldest = this.#map.keys();
      oldest = this.#oldest.next();
    }
    if (oldest.done) return;
    const oldKey = oldest.value;
    const oldValue = this.#map.get(oldKey) as V;
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
    this.#oldest = undefined;
  }
}

/**
 * Values derived from a string and shared by everything that has the same string (a scope claim's Set, a roles
 * list): computed once, kept for at most `max` distinct strings — past that, computed and not kept. A derivation
 * that throws keeps nothing.
 */
export class Interned<V> {
  readonly #values = new Map<string, V>();
  readonly #max: number;
  readonly #derive: (key: string) => V;

  constructor(max: number, derive: (key: string) => V) {
    this.#max = max;
    this.#derive = derive;
  }

  get(key: string): V {
    let value = this.#values.get(key);
    if (value === undefined) {
      value = this.#derive(key);
      if (this.#values.size < this.#max) this.#values.set(key, value);
    }
    return value;
  }
}
