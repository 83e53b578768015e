// Polling with a deadline, for tests that wait on something without an event to await (no fixed sleeps).
import { setTimeout as delay } from 'node:timers/promises';

/** Resolves with check()'s first truthy result; rejects with `what` once timeoutMs has passed. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  {
    timeoutMs = 5000,
    intervalMs = 10,
    what = 'condition',
  }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`${what} not reached within ${timeoutMs} ms`, { cause: lastError });
    }
    await delay(intervalMs);
  }
}

/** Collects messages and lets a test await the n-th one. */
export class Inbox<T = string> {
  readonly items: T[] = [];
  #waiters: { n: number; resolve: () => void }[] = [];

  push = (item: T): void => {
    this.items.push(item);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.items.length < w.n) return true;
      w.resolve();
      return false;
    });
  };

  /** Resolves once at least n items arrived; rejects after timeoutMs. */
  async atLeast(n: number, timeoutMs = 5000): Promise<T[]> {
    if (this.items.length < n) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${n} messages within ${timeoutMs} ms, got ${this.items.length}`)),
          timeoutMs,
        );
        this.#waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    }
    return this.items;
  }
}
