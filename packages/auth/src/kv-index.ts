// A grow-only set of short-lived members per owner in the fast-state KV (which has no set type):
// an atomic counter `<ns>:<owner>` numbers the members, each stored under `<ns>:<owner>:<n>` with its own
// TTL. Used to find the authorization codes of a grant (revokeByGrantId) and the access-token jtis issued
// under a grant (logout denylists them). Race-free: INCR hands every writer its own slot.
import type { KeyValue } from '@edgepass/store';

export class KvIndex {
  readonly #kv: KeyValue;
  readonly #ns: string;

  constructor(kv: KeyValue, namespace: string) {
    this.#kv = kv;
    this.#ns = namespace;
  }

  /** Adds a member; the index itself lives as long as `indexTtlMs` from its first member. */
  async add(owner: string, member: string, ttlMs: number, indexTtlMs: number = ttlMs): Promise<void> {
    const n = await this.#kv.incr(`${this.#ns}:${owner}`, 1, Math.max(indexTtlMs, ttlMs));
    await this.#kv.set(`${this.#ns}:${owner}:${n}`, member, { ttlMs });
  }

  /** The members that have not expired. */
  async members(owner: string): Promise<string[]> {
    const count = Number(await this.#kv.get(`${this.#ns}:${owner}`)) || 0;
    const values = await Promise.all(
      Array.from({ length: count }, (_, i) => this.#kv.get(`${this.#ns}:${owner}:${i + 1}`)),
    );
    return values.filter((v): v is string => v !== null);
  }

  async clear(owner: string): Promise<void> {
    const count = Number(await this.#kv.get(`${this.#ns}:${owner}`)) || 0;
    await Promise.all(Array.from({ length: count }, (_, i) => this.#kv.delete(`${this.#ns}:${owner}:${i + 1}`)));
    await this.#kv.delete(`${this.#ns}:${owner}`);
  }
}
