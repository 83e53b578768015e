// Express middleware: `passport(...)` verifies `x-passport` and sets `req.identity`; `requireScope(...)`,
// `requireRole(...)` and `requireKind(...)` guard routes. Refusals (401, 403, 503) are answered with
// problem+json and reported to the middleware's onRefused hook, guards included; errors of the
// application's own handlers are left to its error handling. express is only imported as types.
import type { Request, RequestHandler, Response } from 'express';
import { PASSPORT_HEADER } from '../constants.ts';
import { PassportError } from '../errors.ts';
import type { Identity } from '../identity.ts';
import {
  type Guards,
  guards,
  type IdentityCheck,
  passportFromHeader,
  problemFor,
  resolveVerifier,
} from '../lib/http.ts';
import type { PassportVerifier, PassportVerifierOptions } from '../verify.ts';

declare global {
  namespace Express {
    interface Request {
      /** Set by the passport middleware once the passport is verified. */
      identity?: Identity;
    }
  }
}

export interface ExpressPassportOptions {
  /** A verifier, or the options to create one. */
  verifier: PassportVerifier | PassportVerifierOptions;
  /** Called for every refusal, the guards' 403s included, with the precise code (log it; never log the passport). */
  onRefused?: (error: PassportError, req: Request) => void;
}

type OnRefused = NonNullable<ExpressPassportOptions['onRefused']>;

/** The onRefused hook of the passport middleware a request went through, for the guards after it. */
const refusalHooks = new WeakMap<Request, OnRefused>();

function refuse(error: PassportError, req: Request, res: Response): void {
  refusalHooks.get(req)?.(error, req);
  const { status, headers, body } = problemFor(error);
  res.status(status).set(headers).send(JSON.stringify(body));
}

/** Verifies the passport of every request through it and sets `req.identity`. */
export function passport(options: ExpressPassportOptions): RequestHandler {
  const verifier = resolveVerifier(options.verifier);
  const { onRefused } = options;
  return (req, res, next) => {
    if (onRefused !== undefined) refusalHooks.set(req, onRefused);
    verifier.verify(passportFromHeader(req.headers[PASSPORT_HEADER])).then(
      (identity) => {
        req.identity = identity;
        next();
      },
      (error: PassportError) => refuse(error, req, res),
    );
  };
}

function guard(check: IdentityCheck): RequestHandler {
  return (req, res, next) => {
    try {
      check(req.identity);
    } catch (error) {
      if (!(error instanceof PassportError)) throw error;
      refuse(error, req, res);
      return;
    }
    next();
  };
}

/** Middleware: `app.get('/x', requireScope('vocab:write'), handler)`. Scopes and roles: all of them; kinds: one of them. */
export const { requireScope, requireRole, requireKind }: Guards<RequestHandler> = guards(guard);
