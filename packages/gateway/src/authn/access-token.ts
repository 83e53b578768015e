// `access_token`: a Bearer JWT from any trusted OIDC issuer. A verified token is cached by its string
// until its exp, so a repeat costs one Map lookup; a miss is verified with jose (the issuer's algorithm
// allow-list, iss, aud, exp, nbf with bounded skew, typ when configured), then its jti is checked
// against the revocation denylist (local copy from `token.revoked` events, then the shared KV). A cached
// token's jti is checked against the denylist again once `revalidateAfter` has passed since the last check,
// so a missed `token.revoked` event (pub/sub is at-most-once) is honoured within that bound.
import type { KeyValue } from '@edgepass/store';
import { deniedJtiKey, type EdgeEvent } from '@edgepass/store';
import { decodeJwt, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from 'jose';
import type { Logger } from 'pino';
import type { IssuerConfig } from '../config/schema.ts';
import { AuthnError, type AuthnReason } from '../errors.ts';
import { BoundedCache } from './bounded-cache.ts';
import { IssuerKeys, type JwksFetchOutcome } from './jwks.ts';
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

/** Maps jose's verification errors to our stable reasons. */
function reasonOf(err: unknown): AuthnReason {
  if (err instanceof AuthnError) return err.authnReason;
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'not_yet_valid';
    if (err.claim === 'iss') return 'wrong_issuer';
    if (err.claim === 'aud') return 'wrong_audience';
    if (err.claim === 'typ') return 'wrong_typ';
    return 'invalid_claims';
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'alg_not_allowed';
  return 'malformed';
}

/** RFC 6749 §3.3 scope-token characters (what a passport's scope may hold). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function stringClaim(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AuthnError('invalid_claims');
  return value;
}

/** `skewMs`: a token is accepted until exp + skew (jose's clockTolerance), so its passports may live as long. */
function principalOf(payload: JWTPayload, issuer: string, skewMs: number): Principal {
  const sub = payload.sub;
  const exp = payload.exp;
  if (typeof sub !== 'string' || sub.length === 0 || typeof exp !== 'number') throw new AuthnError('invalid_claims');
  const roles = payload.roles ?? [];
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string' && r.length > 0)) {
    throw new AuthnError('invalid_claims');
  }
  const scopes = scopeSet(stringClaim(payload, 'scope') ?? '');
  for (const s of scopes) if (!SCOPE_TOKEN.test(s)) throw new AuthnError('invalid_claims');
  const scope = [...scopes].join(' ');
  const clientId = stringClaim(payload, 'client_id');
  // RFC 9068: a client_credentials token's sub is the client itself.
  const kind = clientId !== undefined && clientId === sub ? 'service' : 'user';
  return Object.freeze({
    sub,
    kind,
    via: 'access_token',
    roles: Object.freeze([...roles]),
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

export class AccessTokenAuthenticator implements Authenticator {
  readonly id = 'access_token' as const;
  readonly #issuers = new Map<string, IssuerKeys>();
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
      this.#issuers.set(
        issuer.issuer,
        new IssuerKeys(issuer, { logger: options.logger, now: options.now, onFetch: options.onJwksFetch }),
      );
    }
    this.#sweep = setInterval(() => this.#sweepDenied(), 60_000);
    this.#sweep.unref();
  }

  /** Fetches every issuer's keys once; resolves when all attempts are done. */
  async start(): Promise<void> {
    await Promise.all([...this.#issuers.values()].map((keys) => keys.start()));
  }

  ready(): boolean {
    for (const keys of this.#issuers.values()) if (!keys.loaded) return false;
    return true;
  }

  authenticate(ctx: AuthnContext): Principal | typeof NOT_RESPONSIBLE | Promise<Principal> {
    if (ctx.credential.kind !== 'access_token') return NOT_RESPONSIBLE;
    const token = ctx.credential.value;
    const hit = this.#cache.get(token);
    if (hit !== undefined) {
      if (ctx.now < hit.exp) return ctx.now < hit.recheckAt ? hit.principal : this.#recheck(token, hit, ctx.now);
      this.#cache.delete(token);
    }
    return this.#verify(token, ctx.now);
  }

  dropCached(): void {
    this.#generation++;
    this.#cache.clear();
  }

  handleEvent(event: EdgeEvent): void {
    if (event.type === 'token.revoked') {
      this.#denied.set(event.jti, event.exp * 1000);
      this.#cache.deleteWhere((entry) => entry.jti === event.jti);
    } else if (event.type === 'keys.changed' && event.use === 'access_token') {
      for (const keys of this.#issuers.values()) void keys.refresh('keys_changed');
    }
  }

  close(): void {
    clearInterval(this.#sweep);
    for (const keys of this.#issuers.values()) keys.close();
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
    let header: ReturnType<typeof decodeProtectedHeader>;
    let claims: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      claims = decodeJwt(token);
    } catch (err) {
      throw new AuthnError('malformed', { cause: err });
    }
    const keys = typeof claims.iss === 'string' ? this.#issuers.get(claims.iss) : undefined;
    if (keys === undefined) throw new AuthnError('unknown_issuer');
    const issuer = keys.config;
    const alg = header.alg;
    if (typeof alg !== 'string' || !(issuer.algorithms as readonly string[]).includes(alg)) {
      throw new AuthnError('alg_not_allowed');
    }
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    let key = keys.find(kid, alg);
    if (key === undefined) {
      if (!keys.canRefetch()) throw new AuthnError(keys.loaded ? 'unknown_kid' : 'keys_unavailable');
      await keys.refresh(keys.loaded ? 'unknown_kid' : 'retry');
      if (!keys.loaded) throw new AuthnError('keys_unavailable');
      key = keys.find(kid, alg);
      if (key === undefined) throw new AuthnError('unknown_kid');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: issuer.algorithms as string[],
        issuer: issuer.issuer,
        audience: issuer.audiences as string[],
        clockTolerance: issuer.clockSkew / 1000,
        currentDate: new Date(now),
        requiredClaims: ['exp', 'sub'],
        typ: issuer.requireTyp,
      }));
    } catch (err) {
      throw new AuthnError(reasonOf(err), { cause: err });
    }
    const principal = principalOf(payload, issuer.issuer, issuer.clockSkew);
    const jti = typeof payload.jti === 'string' ? payload.jti : undefined;
    if (jti !== undefined) await this.#checkNotRevoked(jti);
    // a revocation may have arrived while we were verifying
    if (jti !== undefined && this.#denied.has(jti)) throw new AuthnError('revoked');
    const exp = (payload.exp ?? 0) * 1000;
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
