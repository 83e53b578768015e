// The passport claims set and its shape check. Used by verify (after the signature and the registered
// claims were checked) and by minters (mintPassport, the gateway's own fast minter) before signing.
import { MAX_TTL_SECONDS } from './constants.ts';
import { PassportInvalidClaims } from './errors.ts';

export const PASSPORT_KINDS = ['user', 'service', 'anonymous'] as const;
/** Who the passport stands for: a person, a machine client, or nobody (an anonymous route). */
export type PassportKind = (typeof PASSPORT_KINDS)[number];

export const PASSPORT_VIA = ['access_token', 'api_key', 'session', 'anonymous'] as const;
/** Which credential the gateway verified to mint the passport. */
export type PassportVia = (typeof PASSPORT_VIA)[number];

/** The JWT claims set of a passport (docs/passport.md has the table). */
export interface PassportClaims {
  /** Gateway id. */
  iss: string;
  /** The route's service name. */
  aud: string;
  sub: string;
  kind: PassportKind;
  via: PassportVia;
  roles: string[];
  /** Space-separated scopes; may be empty. */
  scope: string;
  plan?: string;
  tenant?: string;
  /** Credential reference for audit: `<token iss>#<jti>`, `key:<api key id>`, `session:<id>`, ... */
  src: string;
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Expires at, seconds since the epoch. */
  exp: number;
}

/** What a minter supplies; `iss`, `aud`, `iat` and `exp` are always set by the minter's options. */
export interface PassportInput {
  sub: string;
  kind: PassportKind;
  via: PassportVia;
  roles?: readonly string[];
  /** Space-separated string or a list of scope tokens. */
  scope?: string | readonly string[];
  plan?: string;
  tenant?: string;
  src: string;
}

// RFC 6749 §3.3 scope-token characters, tokens separated by single spaces.
const SCOPE_TOKEN = '[\\x21\\x23-\\x5B\\x5D-\\x7E]+';
const SCOPE_PATTERN = new RegExp(`^(?:${SCOPE_TOKEN}(?: ${SCOPE_TOKEN})*)?$`);

function invalid(claim: string, problem: string): never {
  throw new PassportInvalidClaims(`"${claim}" claim ${problem}`, { claim });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function requireText(payload: Record<string, unknown>, claim: string): string {
  const value = payload[claim];
  if (typeof value !== 'string' || value.length === 0) invalid(claim, 'must be a non-empty string');
  return value;
}

function optionalText(payload: Record<string, unknown>, claim: string): string | undefined {
  return payload[claim] === undefined ? undefined : requireText(payload, claim);
}

function requireNumericDate(payload: Record<string, unknown>, claim: string): number {
  const value = payload[claim];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) invalid(claim, 'must be a NumericDate');
  return value;
}

function requireMember<T extends string>(payload: Record<string, unknown>, claim: string, allowed: readonly T[]): T {
  const value = payload[claim];
  const member = allowed.find((a) => a === value);
  if (member === undefined) invalid(claim, `must be one of ${allowed.join(', ')}`);
  return member;
}

/**
 * Checks that `payload` has the passport shape and returns a new claims object holding only the passport
 * claims. Throws PassportError PASSPORT_INVALID_CLAIMS (with `claim`) otherwise. It does not check the
 * signature, the issuer/audience values or the clock: that is createPassportVerifier's job.
 */
export function validatePassportClaims(payload: unknown): PassportClaims {
  if (!isPlainObject(payload)) invalid('payload', 'set must be a JSON object');
  const iss = requireText(payload, 'iss');
  const aud = requireText(payload, 'aud');
  const sub = requireText(payload, 'sub');
  const kind = requireMember(payload, 'kind', PASSPORT_KINDS);
  const via = requireMember(payload, 'via', PASSPORT_VIA);
  if ((kind === 'anonymous') !== (via === 'anonymous')) invalid('kind', 'is anonymous exactly when via is anonymous');
  const roles = payload.roles;
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string' && r.length > 0)) {
    invalid('roles', 'must be an array of non-empty strings');
  }
  const scope = payload.scope;
  if (typeof scope !== 'string' || !SCOPE_PATTERN.test(scope)) invalid('scope', 'must be space-separated scope tokens');
  const plan = optionalText(payload, 'plan');
  const tenant = optionalText(payload, 'tenant');
  const src = requireText(payload, 'src');
  const iat = requireNumericDate(payload, 'iat');
  const exp = requireNumericDate(payload, 'exp');
  if (exp <= iat) invalid('exp', 'must be after iat');
  // Passports are short-lived: a signed one that lives longer is refused however it was minted.
  if (exp - iat > MAX_TTL_SECONDS) invalid('exp', `must be at most ${MAX_TTL_SECONDS} s after iat`);
  const claims: PassportClaims = { iss, aud, sub, kind, via, roles: [...roles], scope, src, iat, exp };
  if (plan !== undefined) claims.plan = plan;
  if (tenant !== undefined) claims.tenant = tenant;
  return claims;
}
