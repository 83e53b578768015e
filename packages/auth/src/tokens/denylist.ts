// JWT access tokens cannot be recalled once issued, so revoking one means denylisting its jti until it
// expires: key deniedJtiKey(jti) in the shared KV (TTL = remaining lifetime) plus a `token.revoked` event so
// every gateway drops it from its caches at once. To find the live tokens of a grant at logout, every
// issued jti is recorded per grant (KvIndex, member TTL = token lifetime).
import { deniedJtiKey, EVENTS_CHANNEL, encodeEvent, type FastState } from '@edgepass/store';
import { KvIndex } from '../kv-index.ts';

export interface IssuedToken {
  jti: string;
  /** Expiry, unix seconds. */
  exp: number;
}

export class TokenDenylist {
  readonly #fast: FastState;
  readonly #now: () => Date;
  readonly #issued: KvIndex;

  constructor(options: { fast: FastState; now?: () => Date }) {
    this.#fast = options.fast;
    this.#now = options.now ?? (() => new Date());
    this.#issued = new KvIndex(options.fast.kv, 'issued:grant');
  }

  #nowSec(): number {
    return Math.floor(this.#now().getTime() / 1000);
  }

  /** Records a jti issued under a grant so that logout can deny it. */
  async recordIssued(grantId: string, token: IssuedToken, grantTtlSec: number): Promise<void> {
    const ttlMs = (token.exp - this.#nowSec()) * 1000;
    if (ttlMs <= 0) return;
    await this.#issued.add(grantId, `${token.exp}.${token.jti}`, ttlMs, grantTtlSec * 1000);
  }

  /** The recorded tokens of a grant that have not expired yet. */
  async issuedUnder(grantId: string): Promise<IssuedToken[]> {
    const now = this.#nowSec();
    return (await this.#issued.members(grantId))
      .map((m) => {
        const dot = m.indexOf('.');
        return { exp: Number(m.slice(0, dot)), jti: m.slice(dot + 1) };
      })
      .filter((t) => Number.isFinite(t.exp) && t.exp > now && t.jti.length > 0);
  }

  /** Denies a jti until exp and tells every instance. Already-expired tokens need nothing. */
  async deny(token: IssuedToken): Promise<boolean> {
    const ttlMs = (token.exp - this.#nowSec()) * 1000;
    if (ttlMs <= 0) return false;
    await this.#fast.kv.set(deniedJtiKey(token.jti), String(token.exp), { ttlMs });
    await this.#fast.pubsub.publish(EVENTS_CHANNEL, encodeEvent({ type: 'token.revoked', ...token }));
    return true;
  }

  async isDenied(jti: string): Promise<boolean> {
    return (await this.#fast.kv.get(deniedJtiKey(jti))) !== null;
  }

  /** Denies every live token recorded under the grants; returns how many were denied. */
  async denyIssuedUnder(grantIds: Iterable<string>): Promise<number> {
    let denied = 0;
    for (const grantId of new Set(grantIds)) {
      for (const token of await this.issuedUnder(grantId)) if (await this.deny(token)) denied++;
      await this.#issued.clear(grantId);
    }
    return denied;
  }
}
