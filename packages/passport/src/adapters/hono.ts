// Hono middleware: `passport(...)` verifies `x-passport` and sets `c.get('identity')` (typed through
// PassportEnv's Variables); `requireScope(...)`, `requireRole(...)`, `requireKind(...)` guard routes.
// Refusals (401, 403, 503) are answered with problem+json and reported to the middleware's onRefused hook,
// guards included; errors of the application's own handlers are left to app.onError. hono is only imported
// as types; the core runs on any runtime.
import type { Context, MiddlewareHandler } from 'hono';
import { PASSPORT_HEADER } from '../constants.ts';
import { PassportError } from '../errors.ts';
import type { Identity } from '../identity.ts';
import { type Guards, guards, type IdentityCheck, problemFor, resolveVerifier } from '../lib/http.ts';
import type { PassportVerifier, PassportVerifierOptions } from '../verify.ts';

export interface PassportVariables {
  identity: Identity;
}

/** `new Hono<PassportEnv>()`, or merge PassportVariables into your own Env's Variables. */
export interface PassportEnv {
  Variables: PassportVariables;
}

export interface HonoPassportOptions {
  /** A verifier, or the options to create one. */
  verifier: PassportVerifier | PassportVerifierOptions;
  /** Called for every refusal, the guards' 403s included, with the precise code (log it; never log the passport). */
  onRefused?: (error: PassportError, c: Context) => void;
}

type OnRefused = NonNullable<HonoPassportOptions['onRefused']>;

/** The onRefused hook of the passport middleware a request went through, for the guards after it. */
const refusalHooks = new WeakMap<Context, OnRefused>();

function refuse(error: PassportError, c: Context): Response {
  refusalHooks.get(c)?.(error, c);
  const { status, headers, body } = problemFor(error);
  return new Response(JSON.stringify(body), { status, headers });
}

/** Verifies the passport of every request through it and sets the `identity` variable. */
export function passport(options: HonoPassportOptions): MiddlewareHandler<PassportEnv> {
  const verifier = resolveVerifier(options.verifier);
  const { onRefused } = options;
  return async (c, next) => {
    if (onRefused !== undefined) refusalHooks.set(c, onRefused);
    let identity: Identity;
    try {
      identity = await verifier.verify(c.req.header(PASSPORT_HEADER));
    } catch (error) {
      return refuse(error as PassportError, c);
    }
    c.set('identity', identity);
    await next();
  };
}

function guard(check: IdentityCheck): MiddlewareHandler<PassportEnv> {
  return async (c, next) => {
    try {
      check(c.get('identity'));
    } catch (error) {
      if (!(error instanceof PassportError)) throw error;
      return refuse(error, c);
    }
    await next();
  };
}

/** Middleware: `app.get('/x', requireScope('vocab:write'), handler)`. Scopes and roles: all of them; kinds: one of them. */
export const { requireScope, requireRole, requireKind }: Guards<MiddlewareHandler<PassportEnv>> = guards(guard);
