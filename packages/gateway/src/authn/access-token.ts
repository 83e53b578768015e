// `access_token`: a Bearer JWT from any trusted OIDC issuer. A verified token is cached by its string
// until its exp, so a repeat costs one Map lookup; a miss is verified with node:crypto (jwt.ts, as strict as
// jose and proven so by a differential test: the issuer's algorithm allow-list, iss, aud, exp, nbf with
// bounded skew, typ when configured), then its jti is checked against the revocation denylist (local copy
// from `token.revoked` events, then the shared KV). A cached token's jti is checked against the denylist again
// once `revalidateAfter` has passed since the last check, so a missed `token.revoked` event (pub/sub is
// at-most-once) is honoured within that bound.
import type { KeyValue } from '@edgepass/store';
import { deniedJtiKey, type EdgeEvent } from '@edgepass/store';
import type { Logger } from 'pino';
import type { IssuerConfig } from '../config/schema.ts';
import { AuthnError } from '../errors.ts';
import { BoundedCache, Interned } from './bounded-cache.ts';
import { IssuerKeys, type JwksFetchOutcome } from './jwks.ts';
import { type Jwt, type JwtExpectations, parseJwt, verifyJwt } from './jwt.ts';
import { type Authenticator, type AuthnContext, NOT_RESPONSIBLE, type Principal, scopeSet } from './types.ts';

export interface AccessTokenOptions {
  issuers: readonly IssuerConfig[];
  cacheSize: number;
  /** ms after which a cached token's jti is checked against the denylist again */
  revalidateAfter: number;
  kv: KeyValue;
  logger: Logger;
  now: () => number;
  onJwksFetch?: (issuerId: string, outcome: JwksFetchOutcome) => void;
}

interface VerifiedToken {
  readonly principal: Principal;
  readonly jti: string | undefined;
  /** unix ms: the token's exp. The cache never serves it past this instant. */
  readonly exp: number;
  /** unix ms after which the jti is checked against the denylist again before the token is served */
  recheckAt: number;
  /** the re-check in progress (concurrent requests share it) */
  recheck: Promise<Principal> | undefined;
}

/** RFC 6749 §3.3 scope-token characters (what a passport's scope may hold). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

type Claims = Readonly<Record<string, unknown>>;

function stringClaim(payload: Claims, name: string): string | undefined {
  const value = payload[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AuthnError('invalid_claims');
  return value;
}

/** A scope claim → the principal's scope string and Set, shared by every token with the same claim (most tokens
 *  of a deployment carry a handful of distinct scope claims: one Set each, not one per cached token). */
const SCOPES = new Interned(10_000, (claim): { scope: string; scopes: ReadonlySet<string> } => {
  const scopes = scopeSet(claim);
  for (const s of scopes) if (!SCOPE_TOKEN.test(s)) throw new AuthnError('invalid_claims');
  return { scope: [...scopes].join(' '), scopes };
});

/** A roles claim (as JSON) → one frozen list shared by the principals that have it. */
const ROLES = new Interned(10_000, (json): readonly string[] => Object.freeze(JSON.parse(json) as string[]));

/** `skewMs`: a token is accepted until exp + skew (jose's clockTolerance), so its passports may live as long. */
function principalOf(payload: Claims, issuer: string, skewMs: number): Principal {
  const sub = payload.sub;
  const exp = payload.exp;
  if (typeof sub !== 'string' || sub.length === 0 || typeof exp !== 'number') throw new AuthnError('invalid_claims');
  const roles = payload.roles ?? [];
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string' && r.length > 0)) {
    throw new AuthnError('invalid_claims');
  }
  const { scope, scopes } = SCOPES.get(stringClaim(payload, 'scope') ?? '');
  const clientId = stringClaim(payload, 'client_id');
  // RFC 9068: a client_credentials token's sub is the client itself.
  const kind = clientId !== undefined && clientId === sub ? 'service' : 'user';
  return Object.freeze({
    sub,
    kind,
    via: 'access_token',
    roles: ROLES.get(JSON.stringify(roles)),
    scope,
    scopes,
    plan: stringClaim(payload, 'plan'),
    tenant: stringClaim(payload, 'tenant'),
    src: `${issuer}#${typeof payload.jti === 'string' ? payload.jti : ''}`,
    ref: kind === 'service' ? `client:${sub}` : `user:${sub}`,
    expiresAt: exp * 1000 + skewMs,
    rateLimitPerMinute: undefined,
  } satisfies Principal);
}

/** What an issuer's tokens must say: its iss, one of its audiences, its typ, exp/nbf within its skew. */
export function expectationsOf(issuer: IssuerConfig): JwtExpectations {
  return {
    issuer: issuer.issuer,
    audiences: issuer.audiences,
    clockTolerance: issuer.clockSkew / 1000,
    typ: issuer.requireTyp,
  };
}

/** The trusted issuer a token names (by `iss`), its `alg` (from that issuer's allow-list) and its `kid`. */
export function tokenIssuer<T extends { readonly keys: { readonly config: IssuerConfig } }>(
  issuers: ReadonlyMap<string, T>,
  jwt: Pick<Jwt, 'header' | 'claims'>,
): { issuer: T; alg: string; kid: string | undefined } {
  const iss = jwt.claims.iss;
  const issuer = typeof iss === 'string' ? issuers.get(iss) : undefined;
  if (issuer === undefined) throw new AuthnError('unknown_issuer');
  const alg = jwt.header.alg;
  if (typeof alg !== 'string' || !(issuer.keys.config.algorithms as readonly string[]).includes(alg)) {
    throw new AuthnError('alg_not_allowed');
  }
  const kid = jwt.header.kid;
  return { issuer, alg, kid: typeof kid === 'string' ? kid : undefined };
}

export class AccessTokenAuthenticator implements Authenticator {
  readonly id = 'access_token' as const;
  /** by `iss` */
  readonly #issuers = new Map<string, { readonly keys: IssuerKeys; readonly expect: JwtExpectations }>();
  readonly #cache: BoundedCache<string, VerifiedToken>;
  /** jti → exp (unix ms) of tokens revoked through events */
  readonly #denied = new Map<string, number>();
  readonly #options: AccessTokenOptions;
  readonly #sweep: NodeJS.Timeout;
  /** bumped by dropCached: a verification that started before is not cached */
  #generation = 0;

  constructor(options: AccessTokenOptions) {
    this.#options = options;
    this.#cache = new BoundedCache(options.cacheSize);
    for (const issuer of options.issuers) {
      const keys = new IssuerKeys(issuer, { logger: options.logger, now: options.now, onFetch: options.onJwksFetch });
      this.#issuers.set(issuer.issuer, { keys, expect: expectationsOf(issuer) });
    }
    this.#sweep = setInterval(() => this.#sweepDenied(), 60_000);
    this.#sweep.unref();
  }

  /** Fetches every issuer's keys once; resolves when all attempts are done. */
  async start(): Promise<void> {
    await Promise.all([...this.#issuers.values()].map(({ keys }) => keys.start()));
  }

  ready(): boolean {
    for (const { keys } of this.#issuers.values()) if (!keys.loaded) return false;
    return true;
  }

  authenticate(ctx: AuthnContext): Principal | typeof NOT_RESPONSIBLE | Promise<Principal> {
    if (ctx.credential.kind !== 'access_token') return NOT_RESPONSIBLE;
    const token = ctx.credential.value;
    const hit = this.#cache.get(token);
    if (hit !== undefined) {
      if (ctx.now >= hit.exp) this.#cache.delete(token);
      else if (hit.jti !== undefined && this.#denied.has(hit.jti)) {
        // revoked by an event since it was cached (handleEvent does not scan the cache for it)
        this.#cache.delete(token);
        throw new AuthnError('revoked');
      } else return ctx.now < hit.recheckAt ? hit.principal : this.#recheck(token, hit, ctx.now);
    }
    return this.#verify(token, ctx.now);
  }

  dropCached(): void {
    this.#generation++;
    this.#cache.clear();
  }

  handleEvent(event: EdgeEvent): void {
    if (event.type === 'token.revoked') {
      // O(1): a cached token is checked against this on every hit, so no scan of up to cacheSize entries per event
      this.#denied.set(event.jti, event.exp * 1000);
    } else if (event.type === 'keys.changed' && event.use === 'access_token') {
      for (const { keys } of this.#issuers.values()) void keys.refresh('keys_changed');
    }
  }

  close(): void {
    clearInterval(this.#sweep);
    for (const { keys } of this.#issuers.values()) keys.close();
  }

  /** A cached token whose last denylist check is older than revalidateAfter: checked again before it is served. */
  #recheck(token: string, hit: VerifiedToken, now: number): Principal | Promise<Principal> {
    const jti = hit.jti;
    if (jti === undefined) {
      hit.recheckAt = now + this.#options.revalidateAfter; // nothing can revoke a token without jti
      return hit.principal;
    }
    hit.recheck ??= this.#checkNotRevoked(jti)
      .then(() => {
        // a revocation may have arrived while we were checking
        if (this.#denied.has(jti)) throw new AuthnError('revoked');
        hit.recheckAt = now + this.#options.revalidateAfter;
        return hit.principal;
      })
      .catch((err: unknown) => {
        if (err instanceof AuthnError && err.authnReason === 'revoked' && this.#cache.get(token) === hit) {
          this.#cache.delete(token);
        }
        throw err;
      })
      .finally(() => {
        hit.recheck = undefined;
      });
    return hit.recheck;
  }

  async #verify(token: string, now: number): Promise<Principal> {
    const generation = this.#generation;
    const jwt = parseJwt(token);
    const { issuer: trusted, alg, kid } = tokenIssuer(this.#issuers, jwt);
    const keys = trusted.keys;
    let key = keys.find(kid, alg);
    if (key === undefined) {
      const refetch = keys.refetchForMissingKey();
      if (refetch === undefined) throw new AuthnError(keys.loaded ? 'unknown_kid' : 'keys_unavailable');
      await refetch;
      if (!keys.loaded) throw new AuthnError('keys_unavailable');
      key = keys.find(kid, alg);
      if (key === undefined) throw new AuthnError('unknown_kid');
    }
    const payload = verifyJwt(jwt, alg, key, trusted.expect, now);
    const issuer = keys.config;
    const principal = principalOf(payload, issuer.issuer, issuer.clockSkew);
    const jti = typeof payload.jti === 'string' ? payload.jti : undefined;
    if (jti !== undefined) await this.#checkNotRevoked(jti);
    // a revocation may have arrived while we were verifying
    if (jti !== undefined && this.#denied.has(jti)) throw new AuthnError('revoked');
    const exp = typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
    if (now < exp && generation === this.#generation) {
      this.#cache.set(token, {
        principal,
        jti,
        exp,
        recheckAt: now + this.#options.revalidateAfter,
        recheck: undefined,
      });
    }
    return principal;
  }

  async #checkNotRevoked(jti: string): Promise<void> {
    if (this.#denied.has(jti)) throw new AuthnError('revoked');
    let denied: string | null;
    try {
      denied = await this.#options.kv.get(deniedJtiKey(jti));
    } catch (err) {
      throw new AuthnError('store_unavailable', { cause: err });
    }
    if (denied !== null) throw new AuthnError('revoked');
  }

  #sweepDenied(): void {
    const now = this.#options.now();
    for (const [jti, exp] of this.#denied) if (exp <= now) this.#denied.delete(jti);
  }
}
