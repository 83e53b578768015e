// What every adapter shares, free of any framework or runtime API: reading the passport header, the
// guards, and the RFC 9457 problem answer. Clients only learn "missing" or "refused": the precise code
// goes to the service's log through the adapter's onRefused hook (Fastify: request.log).
import { PASSPORT_KINDS, type PassportKind } from '../claims.ts';
import {
  ForbiddenKind,
  ForbiddenRole,
  ForbiddenScope,
  PASSPORT_ERRORS,
  PassportError,
  type PassportErrorCode,
  PassportMissing,
} from '../errors.ts';
import type { Identity } from '../identity.ts';
import { createPassportVerifier, type PassportVerifier, type PassportVerifierOptions } from '../verify.ts';
import { toPassportError } from './jose-errors.ts';

/** Same base as the gateway's problem types; the slug is the code in kebab case. */
export const PROBLEM_TYPE_BASE = 'https://edgepass.dev/errors/';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: PassportErrorCode;
}

export interface ProblemResponse {
  status: number;
  headers: Record<string, string>;
  body: Problem;
}

const DETAIL: Record<number, string> = {
  401: 'This endpoint requires a valid passport.',
  403: 'The passport does not grant access to this endpoint.',
  503: 'Passports cannot be verified at the moment. Try again later.',
  500: 'The request could not be processed.',
};

/** The code a client may see: PASSPORT_MISSING stays; every other refusal becomes PASSPORT_INVALID. */
export function publicCode(error: PassportError): PassportErrorCode {
  return error.status === 401 && error.code !== 'PASSPORT_MISSING' ? 'PASSPORT_INVALID' : error.code;
}

/** The status, headers and problem document to answer `error` with. Non-passport errors become a bare 500. */
export function problemFor(error: unknown): ProblemResponse {
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' };
  if (!(error instanceof PassportError)) {
    return {
      status: 500,
      headers,
      body: { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: DETAIL[500] },
    };
  }
  const code = publicCode(error);
  if (error.status === 401) headers['www-authenticate'] = 'Passport error="invalid_passport"';
  if (code === 'FORBIDDEN_SCOPE') headers['www-authenticate'] = 'Passport error="insufficient_scope"';
  const body: Problem = {
    type: `${PROBLEM_TYPE_BASE}${code.toLowerCase().replaceAll('_', '-')}`,
    title: PASSPORT_ERRORS[code].title,
    status: error.status,
    detail: DETAIL[error.status],
    code,
  };
  return { status: error.status, headers, body };
}

/** The passport from a header value; a repeated header (an array) is joined, which verify refuses as malformed. */
export function passportFromHeader(value: string | readonly string[] | null | undefined): string | undefined {
  if (Array.isArray(value)) return value.join(', ');
  return (value as string | null | undefined) ?? undefined;
}

/**
 * An adapter takes a verifier or the options to create one, and gets a verifier that rejects only with
 * PassportError. The built-in one already does; a supplied one is wrapped once, so whatever else it rejects
 * or throws with becomes PASSPORT_KEYS_UNAVAILABLE (503) with the original error as `cause`.
 */
export function resolveVerifier(verifier: PassportVerifier | PassportVerifierOptions): PassportVerifier {
  if (typeof verifier !== 'object' || verifier === null)
    throw new TypeError('a verifier or verifier options are required');
  if (!('verify' in verifier && typeof verifier.verify === 'function')) {
    return createPassportVerifier(verifier as PassportVerifierOptions);
  }
  const supplied = verifier;
  return {
    async verify(token) {
      try {
        return await supplied.verify(token);
      } catch (error) {
        throw toPassportError(error);
      }
    },
  };
}

/** A guard throws PassportError (PASSPORT_MISSING without an identity, FORBIDDEN_* when it does not pass). */
export type IdentityCheck = (identity: Identity | undefined) => Identity;

function requireValues(values: readonly string[], what: string): readonly string[] {
  if (values.length === 0 || !values.every((v) => typeof v === 'string' && v.length > 0)) {
    throw new TypeError(`${what} needs at least one non-empty string`);
  }
  return Object.freeze([...values]);
}

function identityCheck(passes: (identity: Identity) => boolean, refuse: () => PassportError): IdentityCheck {
  return (identity) => {
    if (identity === undefined) throw new PassportMissing();
    if (!passes(identity)) throw refuse();
    return identity;
  };
}

/** Passes when the identity has every one of `scopes`. */
export function scopeCheck(scopes: readonly string[]): IdentityCheck {
  const required = requireValues(scopes, 'requireScope');
  return identityCheck(
    (identity) => required.every((s) => identity.hasScope(s)),
    () => new ForbiddenScope(undefined, { claim: 'scope' }),
  );
}

/** Passes when the identity has every one of `roles`. */
export function roleCheck(roles: readonly string[]): IdentityCheck {
  const required = requireValues(roles, 'requireRole');
  return identityCheck(
    (identity) => required.every((r) => identity.hasRole(r)),
    () => new ForbiddenRole(undefined, { claim: 'roles' }),
  );
}

/** Passes when the identity's kind is one of `kinds`. */
export function kindCheck(kinds: readonly PassportKind[]): IdentityCheck {
  const allowed = requireValues(kinds, 'requireKind');
  const unknown = allowed.find((k) => !(PASSPORT_KINDS as readonly string[]).includes(k));
  if (unknown !== undefined) throw new TypeError(`requireKind: ${unknown} is not one of ${PASSPORT_KINDS.join(', ')}`);
  return identityCheck(
    (identity) => allowed.includes(identity.kind),
    () => new ForbiddenKind(undefined, { claim: 'kind' }),
  );
}

export interface Guards<Handler> {
  /** Refuses (403 FORBIDDEN_SCOPE) unless the passport has every one of `scopes`; 401 without a passport. */
  requireScope(...scopes: string[]): Handler;
  /** Refuses (403 FORBIDDEN_ROLE) unless the passport has every one of `roles`; 401 without a passport. */
  requireRole(...roles: string[]): Handler;
  /** Refuses (403 FORBIDDEN_KIND) unless the passport's kind is one of `kinds`; 401 without a passport. */
  requireKind(...kinds: PassportKind[]): Handler;
}

/** The three guards of an adapter, given how it turns a check into its framework's handler. */
export function guards<Handler>(toHandler: (check: IdentityCheck) => Handler): Guards<Handler> {
  return {
    requireScope: (...scopes) => toHandler(scopeCheck(scopes)),
    requireRole: (...roles) => toHandler(roleCheck(roles)),
    requireKind: (...kinds) => toHandler(kindCheck(kinds)),
  };
}

/** What adapters report for every refusal (status < 500 or 503): the precise code and claim, never the token. */
export interface RefusalLog {
  reason: PassportErrorCode;
  status: number;
  claim?: string;
}

export function refusalLog(error: PassportError): RefusalLog {
  return { reason: error.code, status: error.status, ...(error.claim === undefined ? {} : { claim: error.claim }) };
}
