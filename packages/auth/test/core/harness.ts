// Test harness for the auth service core: a real service on 127.0.0.1:0 over a fresh PostgreSQL database
// and the run's Redis (own key prefix) — or embedded PGlite + memory — with static clients, plus
// openid-client configurations and a browser-like login flow over HTTP.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  decodeEvent,
  type EdgeEvent,
  EVENTS_CHANNEL,
  type FastState,
  type OpenedStore,
  openStore,
} from '@edgepass/store';
import * as oidc from 'openid-client';
import { pino } from 'pino';
import { createTestDatabase, testRedisUrl, uniquePrefix } from '../../../../test/support/env.ts';
import { type AuthService, startAuthService } from '../../src/app.ts';
import { type AuthConfigInput, parseAuthConfig } from '../../src/config.ts';
import { Browser, formTo, type PageResult } from './browser.ts';

export const REDIRECT_URI = 'http://127.0.0.1:8976/cb';
export const POST_LOGOUT_URI = 'http://127.0.0.1:8976/bye';

export interface LogLine {
  level: number;
  msg?: string;
  reason?: string;
  [key: string]: unknown;
}

export interface TestAuth {
  service: AuthService;
  store: OpenedStore;
  issuer: string;
  /** Base URL this instance listens on (the issuer, unless it shares another instance's issuer). */
  base: string;
  secrets: { web: string; m2m: string };
  logs: LogLine[];
  /** What a second instance needs to share this one's state. */
  shared: SharedState;
  close(): Promise<void>;
}

export interface SharedState {
  databaseUrl?: string;
  keyPrefix?: string;
  masterKey: Uint8Array;
  secrets: { web: string; m2m: string };
  issuer: string;
}

export interface TestAuthOptions {
  embedded?: boolean;
  /** false: PostgreSQL without Redis (in-memory fast state), as with DATABASE_URL but no REDIS_URL. */
  redis?: boolean;
  config?: Partial<AuthConfigInput>;
  /** Start a second instance on the same PostgreSQL database, Redis prefix, master key and issuer. */
  shareWith?: TestAuth;
  /** Extra environment for secrets named in the config. */
  env?: Record<string, string>;
}

export function testClients(): AuthConfigInput['clients'] {
  return [
    {
      clientId: 'web',
      name: 'Web App',
      secretEnv: 'TEST_WEB_SECRET',
      redirectUris: [REDIRECT_URI],
      postLogoutRedirectUris: [POST_LOGOUT_URI],
      firstParty: true,
    },
    { clientId: 'spa', name: 'Third-party SPA', public: true, redirectUris: [REDIRECT_URI] },
    { clientId: 'm2m', secretEnv: 'TEST_M2M_SECRET', grantTypes: ['client_credentials'], roles: ['service'] },
  ];
}

export async function startTestAuth(options: TestAuthOptions = {}): Promise<TestAuth> {
  const parent = options.shareWith?.shared;
  const db = parent || options.embedded ? undefined : await createTestDatabase();
  const databaseUrl = parent ? parent.databaseUrl : db?.url;
  const keyPrefix = parent ? parent.keyPrefix : options.embedded ? undefined : uniquePrefix('auth');
  const store = options.embedded
    ? await openStore({ dataDir: 'memory://' })
    : await openStore({ databaseUrl, ...(options.redis === false ? {} : { redisUrl: testRedisUrl(), keyPrefix }) });
  const secrets = parent?.secrets ?? {
    web: randomBytes(24).toString('base64url'),
    m2m: randomBytes(24).toString('base64url'),
  };
  const masterKey = parent?.masterKey ?? new Uint8Array(randomBytes(32));
  const env = { ...options.env, TEST_WEB_SECRET: secrets.web, TEST_M2M_SECRET: secrets.m2m };
  const config = parseAuthConfig({
    issuer: parent?.issuer ?? 'http://127.0.0.1:0',
    port: 0,
    logLevel: 'info',
    clients: testClients(),
    ...options.config,
  });
  const logs: LogLine[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write(line: string) {
        logs.push(JSON.parse(line) as LogLine);
      },
    },
  );
  const service = await startAuthService({ config, store, env, logger, masterKey, keyRefreshMs: 0 });
  const address = service.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    service,
    store,
    issuer: service.url,
    secrets,
    logs,
    shared: { databaseUrl, keyPrefix, masterKey, secrets, issuer: service.url },
    base: `http://127.0.0.1:${port}`,
    async close() {
      await service.close();
      await store.close();
      await db?.drop();
    },
  };
}

export async function clientConfig(t: TestAuth, clientId: string, secret?: string): Promise<oidc.Configuration> {
  return await oidc.discovery(
    new URL(t.issuer),
    clientId,
    secret,
    secret ? oidc.ClientSecretBasic(secret) : oidc.None(),
    {
      execute: [oidc.allowInsecureRequests],
    },
  );
}

export const PASSWORD = 'correct horse battery staple';

export async function createUser(t: TestAuth, email: string, extra: { roles?: string[]; plan?: string } = {}) {
  return await t.service.accounts.create({ email, password: PASSWORD, ...extra });
}

export interface CodeFlow {
  browser: Browser;
  callback: URL;
  verifier: string;
  state: string;
  loginPage: PageResult;
}

/** Starts an authorization request in a fresh browser and returns the login page. */
export async function openLogin(config: oidc.Configuration, scope = 'openid api_keys:manage', browser = new Browser()) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope,
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const loginPage = await browser.follow(url.href);
  return { browser, verifier, state, loginPage };
}

/** The whole browser leg of the code flow: authorize → login form → (consent) → redirect_uri?code=… */
export async function loginThroughForm(
  config: oidc.Configuration,
  email: string,
  password = PASSWORD,
  options: { scope?: string; browser?: Browser } = {},
): Promise<CodeFlow> {
  const { browser, verifier, state, loginPage } = await openLogin(config, options.scope, options.browser);
  const form = formTo(loginPage, '/login');
  let page = await browser.follow(form.action, { form: { ...form.fields, email, password } }, REDIRECT_URI);
  if (!page.url.startsWith(REDIRECT_URI) && page.body.includes('/consent')) {
    const consent = formTo(page, '/consent');
    page = await browser.follow(consent.action, { form: consent.fields }, REDIRECT_URI);
  }
  if (!page.url.startsWith(REDIRECT_URI))
    throw new Error(`login did not reach the client (status ${page.status}): ${page.body.slice(0, 500)}`);
  return { browser, callback: new URL(page.url), verifier, state, loginPage };
}

export async function codeFlowTokens(config: oidc.Configuration, flow: CodeFlow) {
  return await oidc.authorizationCodeGrant(config, flow.callback, {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
  });
}

/** Polls `check` until it returns a value or the deadline passes (no fixed sleeps). */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Rejects with the OAuth error `error` (a JSON error body, or a WWW-Authenticate challenge for 401s). */
export async function expectOAuthError(promise: Promise<unknown>, error: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    if (err instanceof oidc.WWWAuthenticateChallengeError) {
      assert.ok(
        err.cause.some((c) => c.parameters.error === error),
        `expected ${error} in the challenge`,
      );
      return true;
    }
    assert.ok(err instanceof oidc.ResponseBodyError, `expected an OAuth error response, got ${String(err)}`);
    assert.equal(err.error, error);
    return true;
  });
}

/** Collects the edgepass events published on the store's pub/sub (as a gateway would receive them). */
export async function collectEvents(fast: FastState): Promise<{ seen: EdgeEvent[]; stop: () => Promise<void> }> {
  const seen: EdgeEvent[] = [];
  const stop = await fast.pubsub.subscribe(EVENTS_CHANNEL, (message) => {
    const event = decodeEvent(message);
    if (event) seen.push(event);
  });
  return { seen, stop };
}
