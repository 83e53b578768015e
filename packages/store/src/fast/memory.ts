// In-memory FastState for the embedded mode. SINGLE PROCESS ONLY: counters, limits and pub/sub are not
// shared with any other process (use Redis for several gateways). Several FastState handles may share
// one MemoryBackend (e.g. auth and gateway in one process, or tests modelling two instances).
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { StoreError } from '../errors.ts';
import type { FastState, KeyValue, PubSub, RateLimiter, RateLimiterOptions, SetOptions } from '../types.ts';
import { checkIncrement, checkTtlMs } from './arguments.ts';
import { consumeWith } from './rate-limit.ts';

interface Entry {
  value: string;
  /** epoch ms, or null for no expiry */
  expiresAt: number | null;
}

type Handler = (message: string) => void;

export interface MemoryBackendOptions {
  /** Clock for key expiry (default Date.now). Rate limiters use rate-limiter-flexible's own Date.now. */
  now?: () => number;
  /** How often expired keys are swept (default 30 s); expiry is also checked on every read. */
  sweepIntervalMs?: number;
  /** Called when a subscriber's handler throws (default: ignored). */
  onHandlerError?: (err: unknown, channel: string) => void;
}

/** The shared state behind one or more memory FastState handles. */
export class MemoryBackend {
  readonly now: () => number;
  readonly entries = new Map<string, Entry>();
  readonly channels = new Map<string, Set<Handler>>();
  readonly limiters = new Map<string, RateLimiterMemory>();
  readonly onHandlerError: (err: unknown, channel: string) => void;
  #sweeper: NodeJS.Timeout;

  constructor(options: MemoryBackendOptions = {}) {
    this.now = options.now ?? Date.now;
    this.onHandlerError = options.onHandlerError ?? (() => {});
    this.#sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 30_000);
    this.#sweeper.unref();
  }

  /** The live entry for key, dropping it when expired. */
  live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt !== null && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  sweep(): void {
    for (const key of this.entries.keys()) this.live(key);
  }

  close(): void {
    clearInterval(this.#sweeper);
  }
}

function memoryKeyValue(backend: MemoryBackend, checkOpen: () => void): KeyValue {
  const expiry = (ttlMs: number | undefined) => (ttlMs === undefined ? null : backend.now() + ttlMs);
  return {
    async get(key) {
      checkOpen();
      return backend.live(key)?.value ?? null;
    },
    async getAndDelete(key) {
      checkOpen();
      const value = backend.live(key)?.value ?? null;
      backend.entries.delete(key);
      return value;
    },
    async set(key: string, value: string, options: SetOptions = {}) {
      checkOpen();
      checkTtlMs(options.ttlMs);
      if (options.onlyIfAbsent && backend.live(key)) return false;
      backend.entries.set(key, { value, expiresAt: expiry(options.ttlMs) });
      return true;
    },
    async delete(key) {
      checkOpen();
      backend.entries.delete(key);
    },
    async incr(key, by = 1, ttlMs) {
      checkOpen();
      checkIncrement(by);
      checkTtlMs(ttlMs);
      const entry = backend.live(key);
      if (!entry) {
        backend.entries.set(key, { value: String(by), expiresAt: expiry(ttlMs) });
        return by;
      }
      if (!/^-?\d+$/.test(entry.value)) throw new Error('value is not an integer');
      const value = Number(entry.value) + by;
      entry.value = String(value);
      return value;
    },
    async ttl(key) {
      checkOpen();
      const entry = backend.live(key);
      if (!entry) return -2;
      return entry.expiresAt === null ? -1 : entry.expiresAt - backend.now();
    },
  };
}

function memoryPubSub(backend: MemoryBackend, checkOpen: () => void, own: Set<() => void>): PubSub {
  return {
    async publish(channel, message) {
      checkOpen();
      const handlers = [...(backend.channels.get(channel) ?? [])];
      for (const handler of handlers) {
        setImmediate(() => {
          try {
            handler(message);
          } catch (err) {
            backend.onHandlerError(err, channel);
          }
        });
      }
    },
    async subscribe(channel, handler) {
      checkOpen();
      // a distinct function per subscription, so one handler may be subscribed twice and removed once
      const entry: Handler = (message) => handler(message);
      let set = backend.channels.get(channel);
      if (!set) {
        set = new Set();
        backend.channels.set(channel, set);
      }
      set.add(entry);
      const remove = () => {
        set.delete(entry);
        if (set.size === 0 && backend.channels.get(channel) === set) backend.channels.delete(channel);
        own.delete(remove);
      };
      own.add(remove);
      return async () => remove();
    },
    // in-process delivery has no connection to lose
    onResubscribed: () => async () => {},
  };
}

export interface MemoryFastStateOptions extends MemoryBackendOptions {
  /** Share state with other handles on this backend (closing a handle leaves a shared backend running). */
  backend?: MemoryBackend;
}

export function createMemoryFastState(options: MemoryFastStateOptions = {}): FastState {
  const owned = !options.backend;
  const backend = options.backend ?? new MemoryBackend(options);
  const subscriptions = new Set<() => void>();
  let closed = false;
  const checkOpen = () => {
    if (closed) throw new StoreError('STORE_CLOSED', 'the fast state has been closed');
  };

  return {
    kind: 'memory',
    kv: memoryKeyValue(backend, checkOpen),
    pubsub: memoryPubSub(backend, checkOpen, subscriptions),
    createRateLimiter(opts: RateLimiterOptions): RateLimiter {
      const id = `${opts.keyPrefix}\u0000${opts.points}\u0000${opts.durationSec}`;
      let limiter = backend.limiters.get(id);
      if (!limiter) {
        limiter = new RateLimiterMemory({ keyPrefix: opts.keyPrefix, points: opts.points, duration: opts.durationSec });
        backend.limiters.set(id, limiter);
      }
      const shared = limiter;
      return {
        async consume(key, points = 1) {
          checkOpen();
          return await consumeWith(shared, opts.points, key, points);
        },
      };
    },
    async ping() {
      return !closed;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const remove of [...subscriptions]) remove();
      if (owned) backend.close();
    },
  };
}
