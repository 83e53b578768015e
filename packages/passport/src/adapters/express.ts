// Express middleware: `passport(...)` verifies `x-passport` and sets `req.identity`; `requireScope(...)`,
// `requireRole(...)` and `requireKind(...)` guard routes. Refusals are answered with problem+json;
// any other error goes to `next(err)`. express is only imported as types.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
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
  /** Called for every refusal with the precise code (log it; never log the passport). */
  onRefused?: (error: PassportError, req: Request) => void;
}

function refuse(
  error: unknown,
  req: Request,
  res: Response,
  next: NextFunction,
  onRefused?: ExpressPassportOptions['onRefused'],
): void {
  if (!(error instanceof PassportError)) {
    next(error);
    return;
  }
  onRefused?.(error, req);
  const { status, headers, body } = problemFor(error);
  res.status(status).set(headers).send(JSON.stringify(body));
}

/** Verifies the passport of every request through it and sets `req.identity`. */
export function passport(options: ExpressPassportOptions): RequestHandler {
  const verifier = resolveVerifier(options.verifier);
  return (req, res, next) => {
    verifier.verify(passportFromHeader(req.headers[PASSPORT_HEADER])).then(
      (identity) => {
        req.identity = identity;
        next();
      },
      (error: unknown) => refuse(error, req, res, next, options.onRefused),
    );
  };
}

function guard(check: IdentityCheck): RequestHandler {
  return (req, res, next) => {
    try {
      check(req.identity);
    } catch (error) {
      refuse(error, req, res, next);
      return;
    }
    next();
  };
}

/** Middleware: `app.get('/x', requireScope('vocab:write'), handler)`. Scopes and roles: all of them; kinds: one of them. */
export const { requireScope, requireRole, requireKind }: Guards<RequestHandler> = guards(guard);
