// Login with a configured external OIDC provider (openid-client v6):
//   GET /auth/:provider/start?interaction=<uid>  → authorization request with PKCE (S256), state and nonce;
//   GET /auth/callback                            → code exchange; openid-client validates the ID token
//                                                   (signature via the IdP's JWKS, iss, aud, nonce, exp).
// The state, nonce and code verifier are kept server-side in the KV (sealed, single use, 10 min) and the
// callback must come from the browser holding the interaction cookie. Account resolution: an existing
// link (provider, sub) → that user; else an account with the same email, only when the IdP says
// email_verified=true → link it; else a new account (external_identities row) — unless the email belongs
// to an existing account and is not verified, which fails.
import type { FastifyInstance } from 'fastify';
import * as oidc from 'openid-client';
import type { User } from '../accounts/accounts.ts';
import { type ExternalProviderConfig, secretFromEnv } from '../config.ts';
import { seal, sha256b64url, unseal } from '../crypto.ts';
import { AuthError, isAuthError } from '../errors.ts';
import { completeLogin, loadInteraction } from '../pages/interaction-routes.ts';
import type { AuthRuntime } from '../runtime.ts';

export const CALLBACK_PATH = '/auth/callback';
const STATE_TTL_MS = 10 * 60 * 1000;

interface SavedState {
  provider: string;
  uid: string;
  nonce: string;
  verifier: string;
}

const failed = (reason: string, cause?: unknown) => new AuthError('AUTH_EXTERNAL_LOGIN_FAILED', { reason, cause });

function isLoopback(url: URL): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

export class ExternalProviders {
  readonly #rt: AuthRuntime;
  readonly #env: NodeJS.ProcessEnv;
  readonly #configs = new Map<string, Promise<oidc.Configuration>>();

  constructor(rt: AuthRuntime, env: NodeJS.ProcessEnv) {
    this.#rt = rt;
    this.#env = env;
  }

  find(id: string): ExternalProviderConfig | undefined {
    return this.#rt.config.providers.find((p) => p.id === id);
  }

  /** Discovery result per provider, cached; a failed discovery is retried on the next login. */
  async configuration(p: ExternalProviderConfig): Promise<oidc.Configuration> {
    let pending = this.#configs.get(p.id);
    if (!pending) {
      const issuer = new URL(p.issuer);
      const secret = secretFromEnv(this.#env, p.clientSecretEnv);
      // Plain http only for an IdP on loopback (development and tests).
      const insecure = issuer.protocol === 'http:' && isLoopback(issuer);
      pending = oidc.discovery(issuer, p.clientId, secret, secret ? oidc.ClientSecretPost(secret) : oidc.None(), {
        ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
        timeout: 10,
      });
      this.#configs.set(p.id, pending);
      pending.catch(() => this.#configs.delete(p.id));
    }
    return await pending;
  }
}

/** The profile claims edgepass uses from userinfo (never sub/iss/aud: those stay the ID token's). */
function pickProfile(info: oidc.UserInfoResponse): Partial<oidc.IDToken> {
  return {
    ...(typeof info.email === 'string' ? { email: info.email } : {}),
    ...(typeof info.email_verified === 'boolean' ? { email_verified: info.email_verified } : {}),
    ...(typeof info.name === 'string' ? { name: info.name } : {}),
  };
}

async function resolveAccount(rt: AuthRuntime, provider: string, claims: oidc.IDToken): Promise<User> {
  const subject = claims.sub;
  const linked = await rt.accounts.findByExternalIdentity(provider, subject);
  if (linked) return linked;
  const email = typeof claims.email === 'string' ? claims.email : undefined;
  if (!email) throw failed('external_email_missing');
  const verified = claims.email_verified === true;
  const identity = { provider, subject, email };
  const existing = await rt.accounts.findByEmail(email);
  if (existing) {
    if (!verified) throw failed('external_email_unverified_conflict');
    await rt.accounts.linkExternalIdentity(existing.id, identity);
    if (!existing.emailVerified) await rt.accounts.markEmailVerified(existing.id);
    return existing;
  }
  const name = typeof claims.name === 'string' ? claims.name.slice(0, 200) : undefined;
  return await rt.accounts.createExternal({ email, emailVerified: verified, ...(name ? { name } : {}) }, identity);
}

export function registerExternalLoginRoutes(app: FastifyInstance, rt: AuthRuntime, env: NodeJS.ProcessEnv): void {
  const providers = new ExternalProviders(rt, env);
  const kv = rt.store.fast.kv;
  const stateKey = (state: string) => `ext:state:${sha256b64url(state)}`;
  const callbackUrl = () => `${rt.issuer()}${CALLBACK_PATH}`;

  app.get<{ Params: { provider: string }; Querystring: { interaction?: string } }>(
    '/auth/:provider/start',
    async (request, reply) => {
      const p = providers.find(request.params.provider);
      if (!p) throw new AuthError('AUTH_NOT_FOUND', { reason: 'external_provider_unknown' });
      const uid = request.query.interaction ?? '';
      const details = await loadInteraction(rt, request, reply, uid);
      let config: oidc.Configuration;
      try {
        config = await providers.configuration(p);
      } catch (cause) {
        throw failed('external_discovery_failed', cause);
      }
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const saved: SavedState = { provider: p.id, uid: details.uid, nonce, verifier };
      const key = stateKey(state);
      await kv.set(key, seal(rt.stateKey, JSON.stringify(saved), key), { ttlMs: STATE_TTL_MS });
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: callbackUrl(),
        response_type: 'code',
        scope: p.scopes.join(' '),
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      request.log.info({ reason: 'external_login_started', provider: p.id }, 'redirecting to external IdP');
      return reply.redirect(url.href, 303);
    },
  );

  app.get<{ Querystring: Record<string, string | undefined> }>(CALLBACK_PATH, async (request, reply) => {
    const state = request.query.state;
    if (!state) throw failed('external_state_missing');
    const key = stateKey(state);
    const sealed = await kv.get(key);
    await kv.delete(key);
    const opened = sealed === null ? undefined : unseal(rt.stateKey, sealed, key);
    if (!opened) throw failed('external_state_unknown');
    const saved = JSON.parse(opened) as SavedState;
    const p = providers.find(saved.provider);
    if (!p) throw failed('external_provider_removed');
    await loadInteraction(rt, request, reply, saved.uid);

    const query = new URL(request.url, 'http://placeholder').search;
    let claims: oidc.IDToken | undefined;
    try {
      const config = await providers.configuration(p);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(`${callbackUrl()}${query}`), {
        pkceCodeVerifier: saved.verifier,
        expectedState: state,
        expectedNonce: saved.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
      // Providers that issue an access token usually put email/name in userinfo, not in the ID token.
      if (claims && typeof claims.email !== 'string' && tokens.access_token) {
        const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        claims = { ...claims, ...pickProfile(info) };
      }
    } catch (cause) {
      throw failed('external_code_exchange_failed', cause);
    }
    if (!claims) throw failed('external_id_token_missing');
    let user: User;
    try {
      user = await resolveAccount(rt, p.id, claims);
    } catch (err) {
      if (isAuthError(err) && err.code === 'AUTH_EXTERNAL_LOGIN_FAILED') throw err;
      throw failed('external_account_resolution_failed', err);
    }
    if (user.status !== 'active') throw failed('external_account_disabled');
    request.log.info({ reason: 'external_login_succeeded', provider: p.id, userId: user.id }, 'login');
    return await completeLogin(rt, request, reply, user.id, ['ext']);
  });
}
