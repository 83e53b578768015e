// `anonymous`: responsible only when the request presents no credential at all.
import { type Authenticator, type AuthnContext, NOT_RESPONSIBLE, type Principal } from './types.ts';

export const ANONYMOUS: Principal = Object.freeze({
  sub: 'anonymous',
  kind: 'anonymous',
  via: 'anonymous',
  roles: Object.freeze([]),
  scope: '',
  scopes: new Set<string>(),
  plan: undefined,
  tenant: undefined,
  src: 'anonymous',
  ref: '',
  expiresAt: Number.POSITIVE_INFINITY,
  rateLimitPerMinute: undefined,
});

export const anonymousAuthenticator: Authenticator = Object.freeze({
  id: 'anonymous',
  authenticate(ctx: AuthnContext): Principal | typeof NOT_RESPONSIBLE {
    return ctx.credential.kind === 'none' ? ANONYMOUS : NOT_RESPONSIBLE;
  },
});
