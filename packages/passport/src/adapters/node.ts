// Plain node:http: `createAuthenticator(...)` gives `authenticate(req)`, which resolves with the Identity
// or rejects with a PassportError; `sendProblem(res, err)` answers any error as problem+json; the guards
// are plain functions that throw. Only node:http types are imported.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PassportKind } from '../claims.ts';
import { PASSPORT_HEADER } from '../constants.ts';
import type { Identity } from '../identity.ts';
import { kindCheck, passportFromHeader, problemFor, resolveVerifier, roleCheck, scopeCheck } from '../lib/http.ts';
import type { PassportVerifier, PassportVerifierOptions } from '../verify.ts';

export type Authenticate = (req: IncomingMessage) => Promise<Identity>;

/** `const authenticate = createAuthenticator({ issuer, audience, jwksUrl })`, then `await authenticate(req)`. */
export function createAuthenticator(verifier: PassportVerifier | PassportVerifierOptions): Authenticate {
  const resolved = resolveVerifier(verifier);
  return (req) => resolved.verify(passportFromHeader(req.headers[PASSPORT_HEADER]));
}

/**
 * Answers `error` as RFC 9457 problem+json: a PassportError with its status (401, 403, 503) and generic
 * text, anything else as a bare 500. When the response has already started, the connection is cut instead.
 */
export function sendProblem(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, headers, body } = problemFor(error);
  res.writeHead(status, headers).end(JSON.stringify(body));
}

/** Throws FORBIDDEN_SCOPE unless the identity has every one of `scopes` (PASSPORT_MISSING without one). */
export function requireScope(identity: Identity | undefined, ...scopes: string[]): Identity {
  return scopeCheck(scopes)(identity);
}

/** Throws FORBIDDEN_ROLE unless the identity has every one of `roles`. */
export function requireRole(identity: Identity | undefined, ...roles: string[]): Identity {
  return roleCheck(roles)(identity);
}

/** Throws FORBIDDEN_KIND unless the identity's kind is one of `kinds`. */
export function requireKind(identity: Identity | undefined, ...kinds: PassportKind[]): Identity {
  return kindCheck(kinds)(identity);
}
