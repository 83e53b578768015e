// Fastify plugin: verifies `x-passport` on every request (except the routes declared public), decorates
// `request.identity`, and answers refusals (401, 403, 503) with problem+json, reported to one onRefused hook,
// guards included. Guards are preHandler hooks. The plugin is not encapsulated: it covers every route of the
// app. It sets no error handler: errors of the application's own handlers are the app's. fastify is only
// imported as types.
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { PASSPORT_HEADER } from '../constants.ts';
import { PassportError, PassportMissing } from '../errors.ts';
import type { Identity } from '../identity.ts';
import {
  type Guards,
  guards,
  type IdentityCheck,
  passportFromHeader,
  problemFor,
  refusalLog,
  resolveVerifier,
} from '../lib/http.ts';
import type { PassportVerifier, PassportVerifierOptions } from '../verify.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified passport's identity. Reading it where no passport was verified (a public route) throws PASSPORT_MISSING. */
    readonly identity: Identity;
  }
}

export interface FastifyPassportOptions {
  /** A verifier, or the options to create one. */
  verifier: PassportVerifier | PassportVerifierOptions;
  /** Route URLs as registered (`/healthz`, `/docs/*`) that need no passport. None by default. */
  publicRoutes?: readonly string[];
  /**
   * Called for every refusal, the guards' 403s included.
   * Default: `request.log.info({ reason, status, claim }, 'passport refused')`.
   */
  onRefused?: (error: PassportError, request: FastifyRequest) => void;
}

type OnRefused = NonNullable<FastifyPassportOptions['onRefused']>;

const IDENTITY = Symbol('edgepass.identity');
const ON_REFUSED = Symbol('edgepass.onRefused');

interface IdentitySlot {
  [IDENTITY]?: Identity | null;
}

interface RefusalSlot {
  [ON_REFUSED]?: OnRefused;
}

function identityOf(request: FastifyRequest): Identity | undefined {
  return (request as FastifyRequest & IdentitySlot)[IDENTITY] ?? undefined;
}

function defaultOnRefused(error: PassportError, request: FastifyRequest): void {
  request.log.info(refusalLog(error), 'passport refused');
}

function refuse(request: FastifyRequest, reply: FastifyReply, error: PassportError): FastifyReply {
  // The plugin decorates the root instance; a guard used without the plugin falls back to the default.
  const onRefused = (request.server as FastifyInstance & RefusalSlot)[ON_REFUSED] ?? defaultOnRefused;
  onRefused(error, request);
  const { status, headers, body } = problemFor(error);
  return reply.code(status).headers(headers).send(JSON.stringify(body));
}

async function passportPlugin(fastify: FastifyInstance, options: FastifyPassportOptions): Promise<void> {
  const verifier = resolveVerifier(options.verifier);
  const publicRoutes = new Set(options.publicRoutes ?? []);
  fastify.decorate(ON_REFUSED, options.onRefused ?? defaultOnRefused);
  fastify.decorateRequest(IDENTITY, null);
  fastify.decorateRequest('identity', {
    getter(this: FastifyRequest): Identity {
      const identity = identityOf(this);
      if (identity === undefined) throw new PassportMissing('no passport was verified for this request');
      return identity;
    },
  });
  fastify.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route !== undefined && publicRoutes.has(route)) return;
    try {
      const identity = await verifier.verify(passportFromHeader(request.headers[PASSPORT_HEADER]));
      (request as FastifyRequest & IdentitySlot)[IDENTITY] = identity;
    } catch (error) {
      return refuse(request, reply, error as PassportError);
    }
  });
}

/** The plugin: `await app.register(fastifyPassport, { verifier: { issuer, audience, jwksUrl } })`. */
export const fastifyPassport = Object.assign(passportPlugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@edgepass/passport',
});

function guard(check: IdentityCheck): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    try {
      check(identityOf(request));
    } catch (error) {
      if (!(error instanceof PassportError)) throw error;
      return refuse(request, reply, error);
    }
  };
}

/** preHandler hooks: `{ preHandler: requireScope('vocab:write') }`. Scopes and roles: all of them; kinds: one of them. */
export const { requireScope, requireRole, requireKind }: Guards<preHandlerAsyncHookHandler> = guards(guard);

/** The identity of a request, or undefined where none was verified (public routes). */
export function optionalIdentity(request: FastifyRequest): Identity | undefined {
  return identityOf(request);
}
