// The part API keys and browser sessions share: an opaque credential whose SHA-256 (base64url) is
// looked up in the database. Results — valid and refused — are cached briefly (bounded), concurrent
// misses for one credential share one query, and events drop the entries they concern. A lookup that
// raced with an event is not cached (generation counter), so a revocation is never undone by it. A valid
// credential is looked up again at most `revalidateAfter` after its last lookup (whatever its cacheTtl), so
// a missed event (pub/sub is at-most-once) is honoured within that bound.
import { createHash } from 'node:crypto';
import type { EdgeEvent, SqlExecutor } from '@edgepass/store';
import type { CredentialKind } from '../config/schema.ts';
import { AuthnError, type AuthnReason } from '../errors.ts';
import { BoundedCache } from './bounded-cache.ts';
import { type Authenticator, type AuthnContext, NOT_RESPONSIBLE, type Principal } from './types.ts';

export function sha256Base64url(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** What a database lookup found: a principal, or why the credential is refused. */
export type LookupResult =
  | { readonly principal: Principal; readonly ownerId: string; readonly id: string }
  | { readonly refused: AuthnReason; readonly ownerId?: string; readonly id?: string };

interface Entry {
  readonly result: LookupResult;
  readonly hash: string;
  readonly until: number;
}

export interface StoredCredentialOptions {
  sql: SqlExecutor;
  cacheSize: number;
  cacheTtl: number;
  negativeCacheTtl: number;
  /** a valid credential is cached at most this long (ms) before its row is read again */
  revalidateAfter: number;
  now: () => number;
}

/** The columns every lookup selects besides its own: the credential's revocation and its owner. */
export interface StoredRow {
  revoked_at: Date | null;
  roles: string[] | null;
  plan: string | null;
  tenant: string | null;
  status: string;
}

export abstract class StoredCredentialAuthenticator<Row extends StoredRow> implements Authenticator {
  abstract readonly id: CredentialKind;
  readonly #cache: BoundedCache<string, Entry>;
  readonly #inflight = new Map<string, Promise<Principal>>();
  readonly #options: StoredCredentialOptions;
  #generation = 0;

  constructor(options: StoredCredentialOptions) {
    this.#options = options;
    this.#cache = new BoundedCache(options.cacheSize);
  }

  /** Cheap shape check before any hashing or lookup. */
  protected abstract wellFormed(value: string): boolean;
  /** SELECT … WHERE <hash column> = $1, with the StoredRow columns. */
  protected abstract readonly query: string;
  /** The reason when no row matches. */
  protected abstract readonly unknownReason: AuthnReason;
  /** The credential's id and its owner. */
  protected abstract identify(row: Row, hash: string): { id: string; ownerId: string };
  /** The principal of a valid row (owner fields come from ownerFields). */
  protected abstract principalOf(row: Row, hash: string): Principal;
  /** Whether an event concerns a cached entry. */
  protected abstract affectedBy(event: EdgeEvent, hash: string, result: LookupResult): boolean;
  /** Called for every successful authentication (e.g. to record last use). */
  protected used(_result: LookupResult & { principal: Principal }, _now: number): void {}

  authenticate(ctx: AuthnContext): Principal | typeof NOT_RESPONSIBLE | Promise<Principal> {
    if (ctx.credential.kind !== this.id) return NOT_RESPONSIBLE;
    const value = ctx.credential.value;
    const hit = this.#cache.get(value);
    if (hit !== undefined && ctx.now < hit.until) return this.#accept(hit.result, ctx.now);
    if (!this.wellFormed(value)) throw new AuthnError('malformed');
    let pending = this.#inflight.get(value);
    if (pending === undefined) {
      pending = this.#resolve(value, ctx.now).finally(() => this.#inflight.delete(value));
      this.#inflight.set(value, pending);
    }
    return pending;
  }

  handleEvent(event: EdgeEvent): void {
    this.#generation++;
    this.#cache.deleteWhere((entry) => this.affectedBy(event, entry.hash, entry.result));
  }

  dropCached(): void {
    this.#generation++;
    this.#cache.clear();
  }

  /** Finds the credential by the SHA-256 (base64url) of its value. Throws on a store failure. */
  async #lookup(hash: string): Promise<LookupResult> {
    const { rows } = await this.#options.sql.query<Row>(this.query, [hash]);
    const row = rows[0];
    if (row === undefined) return { refused: this.unknownReason };
    const ids = this.identify(row, hash);
    if (row.revoked_at !== null) return { refused: 'revoked', ...ids };
    if (row.status !== 'active') return { refused: 'owner_disabled', ...ids };
    return { principal: Object.freeze(this.principalOf(row, hash)), ...ids };
  }

  async #resolve(value: string, now: number): Promise<Principal> {
    const generation = this.#generation;
    const hash = sha256Base64url(value);
    let result: LookupResult;
    try {
      result = await this.#lookup(hash);
    } catch (err) {
      throw new AuthnError('store_unavailable', { cause: err });
    }
    if (generation === this.#generation) {
      const { cacheTtl, negativeCacheTtl, revalidateAfter } = this.#options;
      const ttl = 'principal' in result ? Math.min(cacheTtl, revalidateAfter) : negativeCacheTtl;
      if (ttl > 0) this.#cache.set(value, { result, hash, until: now + ttl });
    }
    return this.#accept(result, now);
  }

  #accept(result: LookupResult, now: number): Principal {
    if (!('principal' in result)) throw new AuthnError(result.refused);
    if (now >= result.principal.expiresAt) throw new AuthnError('expired');
    this.used(result, now);
    return result.principal;
  }
}

/** The owner's roles, plan and tenant as a principal carries them. */
export function ownerFields(row: StoredRow): Pick<Principal, 'roles' | 'plan' | 'tenant'> {
  return { roles: Object.freeze([...(row.roles ?? [])]), plan: row.plan ?? undefined, tenant: row.tenant ?? undefined };
}
