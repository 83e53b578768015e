// What a service's handlers get from a verified passport. Identities are immutable: a verifier hands the
// same object to every request that presents the same passport string.
import type { PassportClaims, PassportKind, PassportVia } from './claims.ts';

export interface Identity {
  readonly sub: string;
  readonly kind: PassportKind;
  readonly via: PassportVia;
  readonly roles: readonly string[];
  readonly scopes: ReadonlySet<string>;
  /** The space-separated `scope` claim as sent. */
  readonly scope: string;
  readonly plan?: string;
  readonly tenant?: string;
  /** Credential reference for audit logs. */
  readonly src: string;
  /** The gateway that minted the passport (`iss`). */
  readonly issuer: string;
  /** The service the passport was minted for (`aud`). */
  readonly audience: string;
  /** `iat`, seconds since the epoch. */
  readonly issuedAt: number;
  /** `exp`, seconds since the epoch. */
  readonly expiresAt: number;
  hasScope(scope: string): boolean;
  hasRole(role: string): boolean;
}

/** A Set whose mutators throw, so a shared Identity cannot be altered by one request for the next. */
class FrozenSet<T> extends Set<T> {
  constructor(values: Iterable<T>) {
    super();
    for (const v of values) Set.prototype.add.call(this, v);
    Object.freeze(this);
  }
  override add(): this {
    throw new TypeError('Identity.scopes is read-only');
  }
  override delete(): boolean {
    throw new TypeError('Identity.scopes is read-only');
  }
  override clear(): void {
    throw new TypeError('Identity.scopes is read-only');
  }
}

export function scopeTokens(scope: string): string[] {
  return scope === '' ? [] : scope.split(' ');
}

/** Builds the frozen Identity of validated passport claims. */
export function identityFromClaims(claims: PassportClaims): Identity {
  const scopes = new FrozenSet(scopeTokens(claims.scope));
  const roles = Object.freeze([...claims.roles]);
  const identity: Identity = {
    sub: claims.sub,
    kind: claims.kind,
    via: claims.via,
    roles,
    scopes,
    scope: claims.scope,
    ...(claims.plan === undefined ? {} : { plan: claims.plan }),
    ...(claims.tenant === undefined ? {} : { tenant: claims.tenant }),
    src: claims.src,
    issuer: claims.iss,
    audience: claims.aud,
    issuedAt: claims.iat,
    expiresAt: claims.exp,
    hasScope: (scope: string) => scopes.has(scope),
    hasRole: (role: string) => roles.includes(role),
  };
  return Object.freeze(identity);
}
