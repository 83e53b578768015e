// oidc-provider configured for the edgepass OAuth 2.1 profile:
// - authorization code + PKCE (S256 only, required for every client), exact redirect_uri; no implicit, no
//   password grant; client_credentials; refresh tokens rotated on every use (reuse → grant revoked, and with it
//   the grant's live JWT access tokens: denylisted);
// - JWT access tokens (typ at+jwt) for one default resource (config.audience) with roles/plan/tenant;
// - revocation and introspection (JWT access tokens handled by jwt-access-tokens.ts);
// - confidential clients authenticate with client_secret_basic/post against a stored SHA-256 hash; no
//   HMAC-based client auth or request objects (the hash must never be usable as a key);
// - storage through adapter.ts, signing key from signing-keys.ts, pages from ../pages.
import {
  type Adapter,
  type BaseToken,
  type Client,
  type Configuration,
  errors,
  type KoaContextWithOIDC,
  Provider,
} from 'oidc-provider';
import type { Logger } from 'pino';
import type { Accounts } from '../accounts/accounts.ts';
import { type AuthConfig, grantTtlSec, OIDC_SCOPES, supportedScopes } from '../config.ts';
import { constantTimeEqual, sha256b64url } from '../crypto.ts';
import { newNonce, page, pageHeaders } from '../pages/html.ts';
import { errorView } from '../pages/views.ts';
import type { TokenDenylist } from '../tokens/denylist.ts';
import { CLIENT_FIRST_PARTY, CLIENT_ROLES, HASHED_SECRET_PREFIX } from './adapter.ts';
import type { LoadedKeys } from './signing-keys.ts';

export const OIDC_ROUTES = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  introspection: '/oauth/introspect',
  revocation: '/oauth/revoke',
  pushed_authorization_request: '/oauth/par',
  end_session: '/oauth/end-session',
  jwks: '/.well-known/jwks.json',
} as const;

/** Path prefixes served by oidc-provider (mounted into Fastify by mount.ts). */
export const PROVIDER_PATHS = [
  '/oauth/',
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server',
];

export const OIDC_COOKIES = {
  session: 'ep_oidc',
  interaction: 'ep_interaction',
  resume: 'ep_interaction_resume',
};

export const ASYMMETRIC_ALGS = ['ES256', 'RS256', 'PS256'];

export interface ProviderDeps {
  config: AuthConfig;
  issuer: string;
  /**
   * The storage adapter factory (adapter.ts createAdapterFactory), the one the service's own grant revocation uses
   * too; its revokeAccessTokens denylists a revoked grant's live JWT access tokens.
   */
  adapter: (model: string) => Adapter;
  accounts: Accounts;
  keys: LoadedKeys;
  denylist: TokenDenylist;
  /** Signing keys for oidc-provider's cookies (derived from the master key). */
  cookieKeys: string[];
  cookieSecure: boolean;
  logger: Logger;
}

/** Every client must use PKCE S256; oidc-provider only implements S256. */
const pkceRequired = () => true;

function requestIdOf(ctx: KoaContextWithOIDC): string {
  const id = ctx.req.headers['x-request-id'];
  return typeof id === 'string' ? id : '';
}

async function renderError(ctx: KoaContextWithOIDC, out: { error?: string }): Promise<void> {
  const nonce = newNonce();
  for (const [name, value] of Object.entries(pageHeaders(nonce))) ctx.set(name, value);
  ctx.type = 'html';
  ctx.body = page({
    title: 'Error',
    nonce,
    body: errorView(`The request could not be processed (${out.error ?? 'server_error'}).`, requestIdOf(ctx)),
  });
}

/**
 * The resource indicator (RFC 8707) of the default resource: the audience itself when it is an absolute
 * URI, else `urn:edgepass:<audience>`. Clients need not send it (it is the default).
 */
export function resourceIndicator(audience: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(audience) ? audience : `urn:edgepass:${audience}`;
}

export function buildProvider(deps: ProviderDeps): Provider {
  const { config, accounts, keys, denylist, logger } = deps;
  const resource = resourceIndicator(config.audience);
  const scopes = supportedScopes(config);
  const resourceScopes = scopes.filter((s) => !OIDC_SCOPES.includes(s)).join(' ');
  const grantTtl = grantTtlSec(config);

  const configuration: Configuration = {
    adapter: deps.adapter,
    jwks: keys.providerJwks,
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: keys.activeAlg,
    },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: [keys.activeAlg],
      introspectionSigningAlgValues: [keys.activeAlg],
      authorizationSigningAlgValues: [keys.activeAlg],
      clientAuthSigningAlgValues: ASYMMETRIC_ALGS,
      requestObjectSigningAlgValues: ASYMMETRIC_ALGS,
      dPoPSigningAlgValues: ['ES256'],
    },
    responseTypes: ['code'],
    pkce: { required: pkceRequired },
    scopes,
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    allowOmittingSingleRegisteredRedirectUri: false,
    conformIdTokenClaims: false,
    // Browsers may call the token/revocation/introspection endpoints cross-origin only for public clients,
    // from the origin of one of their redirect URIs.
    clientBasedCORS: (_ctx: unknown, origin: string, client: Client) =>
      client.clientAuthMethod === 'none' && client.redirectUris.some((uri) => URL.parse(uri)?.origin === origin),
    clockTolerance: 5,
    cookies: {
      names: OIDC_COOKIES,
      keys: deps.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax', signed: true, secure: deps.cookieSecure },
      short: { httpOnly: true, sameSite: 'lax', signed: true, secure: deps.cookieSecure },
    },
    routes: OIDC_ROUTES,
    features: {
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // Confidential clients may introspect any token of this issuer; public clients only their own.
        allowedPolicy: (_ctx: unknown, client: Client, token: BaseToken) =>
          client.clientAuthMethod !== 'none' || token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        // Only the client a token was issued to may revoke it.
        allowedPolicy: (_ctx: unknown, client: Client, token: BaseToken) => {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      rpInitiatedLogout: { enabled: false },
      // Access tokens are JWTs for the default resource, so the userinfo endpoint (which takes opaque tokens
      // for itself) is off: the profile/email claims granted by scope go into the ID token instead.
      userinfo: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => {
          if (indicator !== resource) throw new errors.InvalidTarget();
          return {
            scope: resourceScopes,
            audience: config.audience,
            accessTokenTTL: config.ttl.accessTokenSec,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: keys.activeAlg } },
          };
        },
      },
    },
    extraClientMetadata: {
      properties: [CLIENT_FIRST_PARTY, CLIENT_ROLES],
      validator(_ctx: unknown, key: string, value: unknown) {
        if (key === CLIENT_FIRST_PARTY && value !== undefined && typeof value !== 'boolean') {
          throw new errors.InvalidClientMetadata(`${key} must be a boolean`);
        }
        if (
          key === CLIENT_ROLES &&
          value !== undefined &&
          !(Array.isArray(value) && value.every((r) => typeof r === 'string'))
        ) {
          throw new errors.InvalidClientMetadata(`${key} must be an array of strings`);
        }
      },
    },
    async extraTokenClaims(_ctx: unknown, token: BaseToken) {
      if (token.kind === 'ClientCredentials') {
        const roles = token.client?.[CLIENT_ROLES];
        return { roles: Array.isArray(roles) ? roles : [] };
      }
      if (!token.accountId) return undefined;
      const user = await accounts.findById(token.accountId);
      if (!user) return undefined;
      return { roles: user.roles, plan: user.plan, ...(user.tenant ? { tenant: user.tenant } : {}) };
    },
    formats: {
      customizers: {
        // Record every JWT access token issued under a grant, so logout can denylist the live ones.
        async jwt(_ctx: unknown, token: BaseToken, jwt: { payload: { jti?: string; exp?: number } }) {
          const { jti, exp } = jwt.payload;
          if (token.grantId && jti && exp) await denylist.recordIssued(token.grantId, { jti, exp }, grantTtl);
        },
      },
    },
    async findAccount(_ctx: unknown, sub: string) {
      const user = await accounts.findById(sub);
      if (user?.status !== 'active') return undefined;
      return {
        accountId: user.id,
        claims: () => ({
          sub: user.id,
          email: user.email,
          email_verified: user.emailVerified,
          ...(user.name ? { name: user.name } : {}),
        }),
      };
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    issueRefreshToken: async (_ctx: unknown, client: Client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    renderError,
    ttl: {
      AccessToken: config.ttl.accessTokenSec,
      ClientCredentials: config.ttl.accessTokenSec,
      AuthorizationCode: config.ttl.authorizationCodeSec,
      IdToken: config.ttl.idTokenSec,
      RefreshToken: config.ttl.refreshTokenSec,
      Interaction: config.ttl.interactionSec,
      Session: config.ttl.sessionSec,
      Grant: grantTtl,
    },
  };

  const provider = new Provider(deps.issuer, configuration);
  provider.proxy = config.trustProxy;

  // Client secrets are stored as SHA-256 hashes: compare the hash of the presented secret, in constant time.
  provider.Client.prototype.compareClientSecret = function compareClientSecret(this: Client, actual: string) {
    const stored = this.clientSecret;
    if (typeof stored !== 'string' || !stored.startsWith(HASHED_SECRET_PREFIX) || typeof actual !== 'string')
      return false;
    return constantTimeEqual(stored.slice(HASHED_SECRET_PREFIX.length), sha256b64url(actual));
  };

  const logError = (event: string) => (ctx: unknown, err: unknown) => {
    const e = err as { error?: string; error_description?: string; message?: string };
    const route = (ctx as KoaContextWithOIDC | undefined)?.oidc?.route;
    logger.info(
      { event, route, reason: e.error ?? 'error', detail: e.error_description ?? e.message },
      'oauth request refused',
    );
  };
  for (const event of ['grant.error', 'authorization.error', 'introspection.error', 'revocation.error']) {
    provider.on(event, logError(event));
  }
  provider.on('server_error', (_ctx: unknown, err: unknown) =>
    logger.error({ err, reason: 'oidc_server_error' }, 'oidc-provider error'),
  );
  provider.on('grant.revoked', (_ctx: unknown, grantId: unknown) =>
    logger.info({ grantId, reason: 'grant_revoked' }, 'grant revoked'),
  );
  return provider;
}
