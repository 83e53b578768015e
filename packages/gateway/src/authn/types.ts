// The contract every authenticator implements. An authenticator looks at the credential the request
// presents and returns the principal (synchronously when it is cached), NOT_RESPONSIBLE when the
// credential is not of its kind, or throws AuthnError with a stable reason.
import type { EdgeEvent } from '@edgepass/store';
import type { CredentialKind } from '../config/schema.ts';

/** Who is calling, as the passport describes it. Immutable; cached principals are shared by requests. */
export interface Principal {
  readonly sub: string;
  readonly kind: 'user' | 'service' | 'anonymous';
  readonly via: CredentialKind;
  readonly roles: readonly string[];
  /** space-separated, as in the passport */
  readonly scope: string;
  readonly scopes: ReadonlySet<string>;
  readonly plan: string | undefined;
  readonly tenant: string | undefined;
  /** credential reference for audit: `<iss>#<jti>`, `key:<id>`, `session:<hash prefix>` */
  readonly src: string;
  /** who is counted for quotas, rate limits and usage: `user:<sub>`, `client:<id>`, `key:<id>`; '' for anonymous */
  readonly ref: string;
  /** unix ms after which the credential is no longer valid; a passport never outlives it */
  readonly expiresAt: number;
  /** api_key principals: the key's own limit (requests per minute) */
  readonly rateLimitPerMinute: number | undefined;
}

/** The credential a request presents. Only one is ever considered (see credential.ts). */
export type PresentedCredential =
  | { readonly kind: 'access_token' | 'api_key' | 'session'; readonly value: string }
  | { readonly kind: 'none'; readonly value: '' };

export interface AuthnContext {
  readonly credential: PresentedCredential;
  /** unix ms, from the gateway's clock */
  readonly now: number;
}

export const NOT_RESPONSIBLE: unique symbol = Symbol('not responsible');
export type AuthnResult = Principal | typeof NOT_RESPONSIBLE | Promise<Principal>;

export interface Authenticator {
  readonly id: CredentialKind;
  authenticate(ctx: AuthnContext): AuthnResult;
  /** Revocations and changes fanned out through the store's pub/sub. */
  handleEvent?(event: EdgeEvent): void;
  /** Forgets every cached verification (events may have been missed: the subscription was interrupted). */
  dropCached?(): void;
  /** true once the authenticator can verify credentials (e.g. issuer keys fetched once). */
  ready?(): boolean;
  close?(): Promise<void> | void;
}

export function scopeSet(scope: string): ReadonlySet<string> {
  return new Set(scope.split(/\s+/).filter((s) => s.length > 0));
}
