// Short-lived server-side values of an external login in the fast-state KV (Redis across instances): sealed
// with the login-state key (AES-256-GCM, AAD = the KV key, so a value copied under another key does not open),
// keyed by SHA-256 of their id (no state or interaction id in Redis), with a TTL. `take` is single use,
// atomically (GETDEL): of two requests racing for one value only one gets it.
import type { KeyValue } from '@edgepass/store';
import { seal, sha256b64url, unseal } from '../crypto.ts';

export class SealedValues<T> {
  readonly #kv: KeyValue;
  readonly #key: Uint8Array;
  readonly #namespace: string;
  readonly #ttlMs: number;

  constructor(options: { kv: KeyValue; key: Uint8Array; namespace: string; ttlMs: number }) {
    this.#kv = options.kv;
    this.#key = options.key;
    this.#namespace = options.namespace;
    this.#ttlMs = options.ttlMs;
  }

  #kvKey(id: string): string {
    return `${this.#namespace}:${sha256b64url(id)}`;
  }

  #open(kvKey: string, sealed: string | null): T | undefined {
    const opened = sealed === null ? undefined : unseal(this.#key, sealed, kvKey);
    return opened === undefined ? undefined : (JSON.parse(opened) as T);
  }

  async put(id: string, value: T): Promise<void> {
    const kvKey = this.#kvKey(id);
    await this.#kv.set(kvKey, seal(this.#key, JSON.stringify(value), kvKey), { ttlMs: this.#ttlMs });
  }

  /** Reads without using it up. */
  async peek(id: string): Promise<T | undefined> {
    const kvKey = this.#kvKey(id);
    return this.#open(kvKey, await this.#kv.get(kvKey));
  }

  /** Reads and deletes in one atomic step. */
  async take(id: string): Promise<T | undefined> {
    const kvKey = this.#kvKey(id);
    return this.#open(kvKey, await this.#kv.getAndDelete(kvKey));
  }
}
