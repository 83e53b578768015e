// Resources that survive a config reload when their configuration did not change (upstream pools,
// authenticators with their caches and JWKS). Each compiled config holds references; a resource is
// closed when the last config using it is retired and has no request in flight.

interface Entry {
  readonly value: unknown;
  refs: number;
  readonly close: () => unknown;
}

export class SharedResources {
  readonly #entries = new Map<string, Entry>();

  /** The resource under `key`, created on first use. Every acquire needs a matching release. */
  acquire<T>(key: string, create: () => T, close: (value: T) => unknown): { value: T; created: boolean } {
    const found = this.#entries.get(key);
    if (found !== undefined) {
      found.refs++;
      return { value: found.value as T, created: false };
    }
    const value = create();
    this.#entries.set(key, { value, refs: 1, close: () => close(value) });
    return { value, created: true };
  }

  /** Drops one reference; closes the resource when none is left. */
  async release(key: string): Promise<void> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    entry.refs--;
    if (entry.refs > 0) return;
    this.#entries.delete(key);
    await entry.close();
  }

  /** Every live resource (for event fan-out). */
  *values(): IterableIterator<unknown> {
    for (const entry of this.#entries.values()) yield entry.value;
  }
}
