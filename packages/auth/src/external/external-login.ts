// Login with a configured external OIDC provider (openid-client v6):
//   GET /auth/:provider/start?interaction=<uid>  → 303 /interaction/<uid>/external/<provider>: oidc-provider's
//                                                   interaction cookie has Path=/interaction/<uid>, so a browser
//                                                   only sends it there (the login page links there directly);
//   GET /interaction/<uid>/external/<provider>    → authorization request with PKCE (S256), state and nonce;
//   GET /auth/callback                            → (the redirect URI registered at the IdP) 303 back under the
//                                                   interaction's path, /interaction/<uid>/external-callback,
//                                                   which uses the state up and exchanges the code; openid-client
//                                                   validates the ID token (JWKS signature, iss, aud, nonce, exp).
// The state, nonce and code verifier are kept server-side in the KV (sealed, single use, 10 min); only the
// browser holding the interaction cookie can use a state up. Account resolution (resolveAccount):
// an existing link (provider, sub) → that user; else, when the email belongs to an account, only an IdP that
// says email_verified=true may link to it — at once when the account's email is verified too, or when it has
// neither a password nor another linked identity (created by an admin for external login); an account with a
// password but an unverified email is linked only after the user enters its password (link-account.ts);
// anything else fails. An email without an account → a new account (external_identities row).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import type { User } from '../accounts/accounts.ts';
import { type ExternalProviderConfig, secretFromEnv } from '../config.ts';
import { AuthError, isAuthError } from '../errors.ts';
import { completeLogin, loadInteraction } from '../pages/interaction-routes.ts';
import { externalLoginPath } from '../pages/views.ts';
import type { AuthRuntime } from '../runtime.ts';
import { externalLoginFailed as failed } from './failed.ts';
import {
  type ExternalIdentity,
  linkPath,
  type PendingLink,
  pendingLinks,
  registerLinkAccountRoutes,
} from './link-account.ts';
import { SealedValues } from './sealed-values.ts';

export const CALLBACK_PATH = '/auth/callback';
const finishPath = (uid: string) => `/interaction/${uid}/external-callback`;
const STATE_TTL_MS = 10 * 60 * 1000;

interface SavedState {
  provider: string;
  uid: string;
  nonce: string;
  verifier: string;
}

type Query = Record<string, string | undefined>;

/** The IdP's answer on the way back: its state (external_state_missing without one) and the query as received. */
function idpAnswer(request: FastifyRequest<{ Querystring: Query }>): { state: string; search: string } {
  const state = request.query.state;
  if (!state) throw failed('external_state_missing');
  return { state, search: new URL(request.url, 'http://placeholder').search };
}

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

/** The account an external login signs in to, or the existing account it may link to once its password is entered. */
type Resolution = { user: User } | { link: PendingLink };

async function resolveAccount(rt: AuthRuntime, provider: string, claims: oidc.IDToken): Promise<Resolution> {
  const subject = claims.sub;
  const linked = await rt.accounts.findByExternalIdentity(provider, subject);
  if (linked) return { user: linked };
  const email = typeof claims.email === 'string' ? claims.email : undefined;
  if (!email) throw failed('external_email_missing');
  const verified = claims.email_verified === true;
  const identity: ExternalIdentity = { provider, subject, email };
  const existing = await rt.accounts.findByEmail(email);
  if (!existing) {
    const name = typeof claims.name === 'string' ? claims.name.slice(0, 200) : undefined;
    return {
      user: await rt.accounts.createExternal({ email, emailVerified: verified, ...(name ? { name } : {}) }, identity),
    };
  }
  if (!verified) throw failed('external_email_unverified_conflict');
  if (existing.status !== 'active') throw failed('external_account_disabled');
  // Someone who registered this email without owning it must not keep a way in: their password…
  if (existing.hasPassword && !existing.emailVerified) return { link: { userId: existing.id, identity } };
  // … or an identity at another IdP that did not verify the email either.
  if (!existing.emailVerified && (await rt.accounts.externalIdentities(existing.id)).length > 0)
    throw failed('external_link_unverified_account');
  await rt.accounts.linkExternalIdentity(existing.id, identity);
  if (!existing.emailVerified) await rt.accounts.markEmailVerified(existing.id);
  return { user: existing };
}

export function registerExternalLoginRoutes(app: FastifyInstance, rt: AuthRuntime, env: NodeJS.ProcessEnv): void {
  const providers = new ExternalProviders(rt, env);
  const links = pendingLinks(rt);
  registerLinkAccountRoutes(app, rt, links);
  const states = new SealedValues<SavedState>({
    kv: rt.store.fast.kv,
    key: rt.stateKey,
    namespace: 'ext:state',
    ttlMs: STATE_TTL_MS,
  });
  const callbackUrl = () => `${rt.issuer()}${CALLBACK_PATH}`;
  const knownProvider = (id: string) => {
    const p = providers.find(id);
    if (!p) throw new AuthError('AUTH_NOT_FOUND', { reason: 'external_provider_unknown' });
    return p;
  };

  // The login page's link. The interaction cookie is only sent under /interaction/<uid>, so go there.
  app.get<{ Params: { provider: string }; Querystring: { interaction?: string } }>(
    '/auth/:provider/start',
    async (request, reply) => {
      const p = knownProvider(request.params.provider);
      const uid = request.query.interaction;
      if (!uid) throw new AuthError('AUTH_INTERACTION_EXPIRED', { reason: 'interaction_missing' });
      return reply.redirect(externalLoginPath(uid, p.id), 303);
    },
  );

  app.get<{ Params: { uid: string; provider: string } }>(
    '/interaction/:uid/external/:provider',
    async (request, reply) => {
      const p = knownProvider(request.params.provider);
      const details = await loadInteraction(rt, request, reply, request.params.uid);
      let config: oidc.Configuration;
      try {
        config = await providers.configuration(p);
      } catch (cause) {
        throw failed('external_discovery_failed', cause);
      }
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      await states.put(state, { provider: p.id, uid: details.uid, nonce, verifier });
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

  // The redirect URI registered at the IdPs. The interaction cookie is not sent here: back under the interaction's
  // path (known from the state, which stays unused until the browser holding that cookie presents it).
  app.get<{ Querystring: Query }>(CALLBACK_PATH, async (request, reply) => {
    const { state, search } = idpAnswer(request);
    const saved = await states.peek(state);
    if (!saved) throw failed('external_state_unknown');
    return reply.redirect(`${finishPath(saved.uid)}${search}`, 303);
  });

  app.get<{ Params: { uid: string }; Querystring: Query }>(finishPath(':uid'), async (request, reply) => {
    const { state, search } = idpAnswer(request);
    await loadInteraction(rt, request, reply, request.params.uid);
    // Single use, atomically: of two callbacks racing with one state only one gets it.
    const saved = await states.take(state);
    if (!saved) throw failed('external_state_unknown');
    if (saved.uid !== request.params.uid) throw failed('external_state_interaction_mismatch');
    const p = providers.find(saved.provider);
    if (!p) throw failed('external_provider_removed');

    let claims: oidc.IDToken | undefined;
    try {
      const config = await providers.configuration(p);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(`${callbackUrl()}${search}`), {
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
    let resolved: Resolution;
    try {
      resolved = await resolveAccount(rt, p.id, claims);
    } catch (err) {
      if (isAuthError(err) && err.code === 'AUTH_EXTERNAL_LOGIN_FAILED') throw err;
      throw failed('external_account_resolution_failed', err);
    }
    if ('link' in resolved) {
      await links.put(saved.uid, resolved.link);
      request.log.info(
        { reason: 'external_link_needs_password', provider: p.id, userId: resolved.link.userId },
        'external login matches an account with an unverified email: asking for its password',
      );
      return reply.redirect(linkPath(saved.uid), 303);
    }
    const { user } = resolved;
    if (user.status !== 'active') throw failed('external_account_disabled');
    request.log.info({ reason: 'external_login_succeeded', provider: p.id, userId: user.id }, 'login');
    return await completeLogin(rt, request, reply, user.id, ['ext']);
  });
}
