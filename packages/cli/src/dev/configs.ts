// The configurations `edgepass dev` runs with: the auth service's (plans, the demo route scopes, the login
// demo's public client) and the gateway's (routes to the two example services with the demo policies, and
// the auth service's public paths with `credentials: passthrough`). The gateway is the only public entry:
// the issuer is the gateway's URL, the auth service listens on loopback behind it and trusts its
// X-Forwarded-* headers (its URLs and login throttling follow the client's host and address). Both configs
// go through the components' own validation (parseAuthConfig / validateConfig in startGateway).
import { type AuthConfig, parseAuthConfig } from '@edgepass/auth';
import type { GatewayConfigInput } from '@edgepass/gateway';
import type { LogLevel } from './options.ts';
import { DEV_PLANS, SIGNUP_MANAGE_SCOPE, VOCABULARY_SCOPE } from './seed.ts';

export const DEV_GATEWAY_ID = 'edgepass-dev';
export const DEV_AUDIENCE = 'edgepass-api';
export const DEMO_CLIENT_ID = 'edgepass-demo';
/** Requests per UTC day on the vocabulary routes. */
export const DEV_QUOTA = { free: 5, premium: 1000 } as const;
/** Per principal per minute on the vocabulary routes; per IP per minute on /signup and on each auth path. */
export const DEV_RATE_LIMITS = { vocabulary: 60, signup: 20, auth: 300 } as const;
/**
 * The auth service's public paths (packages/auth/src): discovery and JWKS, oidc-provider's /oauth/*, the
 * login/signup/consent pages, logout, external IdP login, the JSON API and its admin part. Its /healthz stays
 * internal.
 */
export const AUTH_PATH_PREFIXES = [
  '/.well-known',
  '/oauth',
  '/interaction',
  '/logout',
  '/auth',
  '/api',
  '/admin/api',
] as const;

export interface DevAuthConfigInput {
  issuer: string;
  host: string;
  port: number;
  /** the login demo's redirect_uri and post-logout page */
  demoCallback: string;
  demoHome: string;
  logLevel: LogLevel;
}

export function devAuthConfig(input: DevAuthConfigInput): AuthConfig {
  return parseAuthConfig({
    issuer: input.issuer,
    host: input.host,
    port: input.port,
    audience: DEV_AUDIENCE,
    plans: [...DEV_PLANS],
    scopes: [VOCABULARY_SCOPE, SIGNUP_MANAGE_SCOPE],
    apiKeyScopes: [VOCABULARY_SCOPE],
    apiKeyEnv: 'test',
    // behind the gateway, which sets X-Forwarded-For/-Proto/-Host from what it saw itself
    trustProxy: true,
    clients: [
      {
        clientId: DEMO_CLIENT_ID,
        name: 'edgepass login demo',
        public: true,
        firstParty: true,
        redirectUris: [input.demoCallback],
        postLogoutRedirectUris: [input.demoHome],
        grantTypes: ['authorization_code', 'refresh_token'],
      },
    ],
    logLevel: input.logLevel,
  });
}

export interface DevGatewayConfigInput {
  host: string;
  port: number;
  adminPort: number;
  /** the tokens' iss: the gateway's own public URL */
  authIssuer: string;
  /** where the auth service listens (loopback): the JWKS, and the target of its routes */
  authUrl: string;
  vocabularyUrl: string;
  userServiceUrl: string;
  logLevel: LogLevel;
}

export function devGatewayConfig(input: DevGatewayConfigInput): GatewayConfigInput {
  const vocabulary = (name: string, pathPrefix: string, plans?: string[]) => ({
    name,
    match: { pathPrefix, methods: ['POST' as const] },
    service: 'vocabulary-service',
    upstream: { targets: [input.vocabularyUrl], timeout: '2m' },
    accept: ['access_token' as const, 'api_key' as const, 'session' as const],
    require: { scopes: [VOCABULARY_SCOPE], ...(plans ? { plans } : {}) },
    rateLimit: { limit: DEV_RATE_LIMITS.vocabulary, window: '1m', by: 'principal' as const },
    quota: { window: 'day' as const, plans: { ...DEV_QUOTA } },
  });
  return {
    gateway: { id: DEV_GATEWAY_ID, shutdownGrace: '2s' },
    listen: {
      public: { host: input.host, port: input.port },
      admin: { host: '127.0.0.1', port: input.adminPort },
    },
    // browser sessions carry no scope of their own: let them use the vocabulary routes
    passport: { sessionScope: VOCABULARY_SCOPE },
    issuers: [
      {
        id: 'edgepass-auth',
        issuer: input.authIssuer,
        jwksUri: `${input.authUrl}/.well-known/jwks.json`,
        audiences: [DEV_AUDIENCE],
        algorithms: ['ES256', 'RS256'],
      },
    ],
    routes: [
      vocabulary('vocabulary', '/videos/'),
      vocabulary('vocabulary-premium', '/premium/', ['premium']),
      {
        name: 'signup',
        match: { pathPrefix: '/signup', methods: ['POST'] },
        service: 'user-service',
        upstream: { targets: [input.userServiceUrl] },
        accept: ['anonymous'],
        rateLimit: { limit: DEV_RATE_LIMITS.signup, window: '1m', by: 'ip' },
      },
      {
        name: 'signup-worker',
        match: { pathPrefix: '/signups/' },
        service: 'user-service',
        upstream: { targets: [input.userServiceUrl] },
        accept: ['api_key'],
        require: { scopes: [SIGNUP_MANAGE_SCOPE] },
      },
      // the auth service authenticates its callers itself (client secrets, its session, bearer tokens)
      ...AUTH_PATH_PREFIXES.map((pathPrefix) => ({
        name: `auth${pathPrefix.replace(/[^A-Za-z0-9]+/g, '-')}`,
        match: { pathPrefix },
        service: 'auth',
        upstream: { targets: [input.authUrl] },
        credentials: 'passthrough' as const,
        accept: ['anonymous' as const],
        rateLimit: { limit: DEV_RATE_LIMITS.auth, window: '1m', by: 'ip' as const },
      })),
    ],
    logging: { level: input.logLevel },
  };
}
