// The auth service: one Fastify app with
//   - oidc-provider mounted for /oauth/* and the discovery documents (mount.ts),
//   - the published JWKS at /.well-known/jwks.json (next + active + retired keys from the store),
//   - the HTML pages (interaction login/signup/consent, logout) and the external-IdP login,
//   - the JSON API of the API-keys/usage work (registerJsonApi) with a real access-token verifier,
//   - /healthz.
// createAuthService builds it for config.issuer (use app.inject or listen yourself); startAuthService
// listens on config.host:config.port and, when the issuer's port is 0, uses the bound port in the issuer; on a
// PostgreSQL server without Redis it warns (reason fast_state_not_shared): interactions, the denylist,
// throttling and refresh locks are then per process, though several instances may share the database.
import { randomBytes } from 'node:crypto';
import { loadMasterKey, SigningKeyStore, type Store, unsharedFastStateWarning } from '@edgepass/store';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import { Accounts } from './accounts/accounts.ts';
import { registerJsonApi } from './api/index.ts';
import { Clients } from './clients/clients.ts';
import { type AuthConfig, cookiesSecure, grantTtlSec } from './config.ts';
import { deriveKey } from './crypto.ts';
import { registerExternalLoginRoutes } from './external/external-login.ts';
import { handleError, handleRouterError, notFound } from './http-errors.ts';
import { createLogger } from './logger.ts';
import { createAdapterFactory, grantExists, pruneExpired, refreshTokenUnused, revokeGrants } from './oidc/adapter.ts';
import { jwtAccessTokenEndpoints } from './oidc/jwt-access-tokens.ts';
import { mountProvider } from './oidc/mount.ts';
import { buildProvider, OIDC_ROUTES } from './oidc/provider.ts';
import { ProviderHolder } from './oidc/provider-holder.ts';
import { refreshGrace } from './oidc/refresh-grace.ts';
import type { LoadedKeys, SigningKeySource } from './oidc/signing-keys.ts';
import { Csrf } from './pages/csrf.ts';
import { registerInteractionRoutes } from './pages/interaction-routes.ts';
import { registerLogoutRoutes } from './pages/logout-routes.ts';
import type { AuthRuntime } from './runtime.ts';
import { BrowserSessions } from './sessions/browser-sessions.ts';
import { LoginThrottle } from './throttle.ts';
import { TokenDenylist } from './tokens/denylist.ts';
import { AccessTokenVerifier } from './tokens/verify.ts';

export interface AuthServiceOptions {
  config: AuthConfig;
  store: Store;
  logger?: Logger;
  /** Clock for sessions and housekeeping (oidc-provider itself uses the system clock). */
  now?: () => Date;
  /** 32-byte master key; default EDGEPASS_MASTER_KEY from `env`. */
  masterKey?: Uint8Array;
  /** Signing keys; default the store's SigningKeyStore (opened with the master key). */
  signingKeys?: SigningKeySource;
  /** Where secrets named in the config are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Period of the key refresh that backs up the `keys.changed` event (default 30 s; 0 = off). */
  keyRefreshMs?: number;
}

export interface AuthService {
  readonly app: FastifyInstance;
  /** The issuer (base URL) of the running service. */
  readonly url: string;
  readonly accounts: Accounts;
  readonly clients: Clients;
  readonly sessions: BrowserSessions;
  readonly denylist: TokenDenylist;
  readonly verifier: AccessTokenVerifier;
  provider(): Provider;
  keys(): LoadedKeys;
  /** Reloads signing keys now (also done on `keys.changed` and periodically). */
  reloadKeys(): Promise<void>;
  close(): Promise<void>;
}

/** Expired oidc_models rows and browser sessions are deleted this often. */
const PRUNE_EVERY_MS = 10 * 60 * 1000;

class AuthServiceImpl implements AuthService {
  readonly app: FastifyInstance;
  readonly accounts: Accounts;
  readonly clients: Clients;
  readonly sessions: BrowserSessions;
  readonly denylist: TokenDenylist;
  readonly verifier: AccessTokenVerifier;
  readonly #options: AuthServiceOptions;
  readonly #logger: Logger;
  readonly #masterKey: Uint8Array;
  readonly #holder: ProviderHolder;
  readonly #cleanups: Array<() => Promise<void> | void> = [];
  #issuer: string;
  #signingKeys: SigningKeySource | undefined;

  constructor(options: AuthServiceOptions) {
    const { config, store } = options;
    const env = options.env ?? process.env;
    this.#options = options;
    this.#issuer = config.issuer;
    this.#logger = options.logger ?? createLogger(config.logLevel);
    this.#masterKey = options.masterKey ?? loadMasterKey(env);
    const now = options.now;
    this.denylist = new TokenDenylist({ fast: store.fast });
    this.accounts = new Accounts({ store, plans: config.plans, denylist: this.denylist, logger: this.#logger });
    this.clients = new Clients({ store, config, env });
    this.sessions = new BrowserSessions({ store, ttlSec: config.ttl.sessionSec, ...(now ? { now } : {}) });
    const cookieSecure = cookiesSecure(config);
    // One adapter factory for oidc-provider and for the service's own grant revocation (logout): a revoked grant
    // (reuse detection, RFC 7009 revocation of a refresh token, logout) takes its live JWT access tokens with it,
    // their jtis denylisted until exp and `token.revoked` sent to every gateway.
    const adapterFor = createAdapterFactory(
      {
        store,
        clients: this.clients,
        grantTtlSec: grantTtlSec(config),
        revokeAccessTokens: async (grantId) => {
          const denied = await this.denylist.denyIssuedUnder([grantId]);
          this.#logger.info(
            { grantId, deniedAccessTokens: denied, reason: 'grant_access_tokens_denied' },
            'access tokens of a revoked grant denied',
          );
          return denied;
        },
      },
      () => this.keys().activeAlg,
    );

    this.#holder = new ProviderHolder({
      source: {
        ensureActive: (use, alg) => this.#keySource().ensureActive(use, alg),
        activeKey: (use) => this.#keySource().activeKey(use),
        publicJwks: (use) => this.#keySource().publicJwks(use),
      },
      alg: config.signingAlg,
      logger: this.#logger,
      build: (keys) => {
        const provider = buildProvider({
          config,
          issuer: this.#issuer,
          adapter: adapterFor,
          accounts: this.accounts,
          keys,
          denylist: this.denylist,
          cookieKeys: [deriveKey(this.#masterKey, 'cookies').toString('base64url')],
          cookieSecure,
          logger: this.#logger,
        });
        provider.use(
          refreshGrace({
            kv: store.fast.kv,
            tokenPath: OIDC_ROUTES.token,
            graceSec: config.refreshGraceSec,
            sealKey: deriveKey(this.#masterKey, 'token-cache'),
            grantAlive: (grantId) => grantExists(store, grantId),
            refreshTokenUnused: (token) => refreshTokenUnused(store, token),
          }),
        );
        provider.use(
          jwtAccessTokenEndpoints({
            revocationPath: OIDC_ROUTES.revocation,
            introspectionPath: OIDC_ROUTES.introspection,
            verifier: () => this.verifier,
            denylist: this.denylist,
            logger: this.#logger,
          }),
        );
        provider.on('error', (err: unknown) =>
          this.#logger.error({ err, reason: 'oidc_koa_error' }, 'oidc-provider error'),
        );
        return provider;
      },
    });

    this.verifier = new AccessTokenVerifier({
      issuer: () => this.#issuer,
      audience: config.audience,
      jwks: () => this.keys().publicJwks,
      reloadKeys: () => this.#holder.refreshForUnknownKid(),
      denylist: this.denylist,
    });

    const runtime: AuthRuntime = {
      config,
      store,
      accounts: this.accounts,
      clients: this.clients,
      sessions: this.sessions,
      csrf: new Csrf(deriveKey(this.#masterKey, 'csrf')),
      throttle: new LoginThrottle(store.fast.kv, config.throttle),
      logger: this.#logger,
      cookieSecure,
      stateKey: deriveKey(this.#masterKey, 'external-state'),
      issuer: () => this.#issuer,
      provider: () => this.provider(),
      revokeGrants: (ids) => revokeGrants(adapterFor, ids),
    };

    // Routes only use the FastifyBaseLogger methods of the pino instance.
    this.app = Fastify({
      loggerInstance: this.#logger,
      trustProxy: config.trustProxy,
      genReqId: () => `req_${randomBytes(12).toString('base64url')}`,
      bodyLimit: 64 * 1024,
      frameworkErrors: handleRouterError,
    }) as unknown as FastifyInstance;
    this.app.addHook('onSend', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });
    this.app.setErrorHandler(handleError);
    this.app.setNotFoundHandler(notFound);
    this.#routes(runtime, env);
  }

  get url(): string {
    return this.#issuer;
  }

  #keySource(): SigningKeySource {
    if (!this.#signingKeys) throw new Error('signing keys are not loaded yet');
    return this.#signingKeys;
  }

  #routes(rt: AuthRuntime, env: NodeJS.ProcessEnv): void {
    const { app } = this;
    const { config, store } = this.#options;
    app.register(fastifyCookie);
    app.register(fastifyFormbody);
    app.register(async (scope) => {
      await mountProvider(scope, this.#holder);
      scope.get(OIDC_ROUTES.jwks, async (_request, reply) =>
        reply
          .header('cache-control', 'public, max-age=60')
          .type('application/jwk-set+json')
          .send(this.keys().publicJwks),
      );
      scope.get('/healthz', async (_request, reply) => {
        const [sql, fast] = await Promise.all([
          store.sql.ping().catch(() => false),
          store.fast.ping().catch(() => false),
        ]);
        const ok = sql && fast && this.#holder.ready;
        return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', sql, fast });
      });
      registerInteractionRoutes(scope, rt);
      registerLogoutRoutes(scope, rt);
      registerExternalLoginRoutes(scope, rt, env);
      await registerJsonApi(scope, {
        store,
        logger: this.#logger,
        verifyAccessToken: (token) => this.verifier.verify(token),
        apiKeyEnv: config.apiKeyEnv,
        plans: config.plans,
        apiKeyScopes: config.apiKeyScopes,
        ...(this.#options.now ? { now: this.#options.now } : {}),
      });
    });
  }

  /** Loads keys, builds the provider and starts housekeeping. `issuer` replaces config.issuer (bound port). */
  async init(issuer: string): Promise<void> {
    this.#issuer = issuer;
    const { store } = this.#options;
    if (this.#options.signingKeys) {
      this.#signingKeys = this.#options.signingKeys;
    } else {
      const keyStore = await SigningKeyStore.open({
        sql: store.sql,
        masterKey: this.#masterKey,
        pubsub: store.fast.pubsub,
        onPublishError: (err) =>
          this.#logger.warn({ err, reason: 'keys_changed_publish_failed' }, 'keys.changed not published'),
      });
      this.#signingKeys = keyStore;
      const off = keyStore.onChange((use) => {
        if (use === 'access_token')
          this.reloadKeys().catch((err) =>
            this.#logger.error({ err, reason: 'key_reload_failed' }, 'key reload failed'),
          );
      });
      this.#cleanups.push(off, () => keyStore.close());
    }
    await this.#holder.refresh();
    const every = this.#options.keyRefreshMs ?? 30_000;
    if (every > 0) {
      this.#every(every, () => this.reloadKeys(), 'key_refresh_failed');
      this.#every(PRUNE_EVERY_MS, () => pruneExpired(store), 'prune_failed');
    }
    await this.app.ready();
  }

  /** Runs a housekeeping task periodically (unref'd: it never keeps the process alive). */
  #every(ms: number, task: () => Promise<unknown>, reason: string): void {
    const timer = setInterval(() => {
      task().catch((err) => this.#logger.warn({ err, reason }, 'housekeeping task failed'));
    }, ms);
    timer.unref();
    this.#cleanups.push(() => clearInterval(timer));
  }

  provider(): Provider {
    return this.#holder.provider;
  }

  keys(): LoadedKeys {
    return this.#holder.keys;
  }

  async reloadKeys(): Promise<void> {
    await this.#holder.refresh();
  }

  async close(): Promise<void> {
    for (const cleanup of this.#cleanups.splice(0).reverse()) await cleanup();
    await this.app.close();
  }
}

/** Builds the service for config.issuer without listening (use `app.inject`, or `app.listen` yourself). */
export async function createAuthService(options: AuthServiceOptions): Promise<AuthService> {
  const service = new AuthServiceImpl(options);
  try {
    await service.init(options.config.issuer);
  } catch (err) {
    await service.close().catch(() => {});
    throw err;
  }
  return service;
}

/**
 * Listens on config.host:config.port. An issuer with port 0 (e.g. http://127.0.0.1:0) gets the bound port. Warns
 * once in the log when the store is a PostgreSQL server without Redis (unsharedFastStateWarning).
 */
export async function startAuthService(options: AuthServiceOptions): Promise<AuthService> {
  const service = new AuthServiceImpl(options);
  const { store } = options;
  const unshared = unsharedFastStateWarning(store);
  if (unshared !== undefined)
    service.app.log.warn({ reason: 'fast_state_not_shared', sql: store.sql.kind, fast: store.fast.kind }, unshared);
  try {
    await service.app.listen({ host: options.config.host, port: options.config.port });
    const address = service.app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.config.port;
    const issuer = new URL(options.config.issuer);
    if (issuer.port === '0') issuer.port = String(port);
    await service.init(issuer.href.replace(/\/+$/, ''));
  } catch (err) {
    await service.close().catch(() => {});
    throw err;
  }
  return service;
}
