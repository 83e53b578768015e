// Login with an external OIDC provider: a second oidc-provider instance started here plays the external
// IdP (its dev login/consent pages). Covers account creation, re-login, linking by VERIFIED email only,
// state single use and browser binding, and ID-token validation (nonce/aud/iss forged by the IdP → refused).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { type KoaContextWithOIDC, Provider } from 'oidc-provider';
import type * as oidc from 'openid-client';
import { Browser, formTo, type PageResult } from './browser.ts';
import {
  clientConfig,
  codeFlowTokens,
  createUser,
  openLogin,
  REDIRECT_URI,
  startTestAuth,
  type TestAuth,
} from './harness.ts';

interface ExternalAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
}

const externalAccounts: Record<string, ExternalAccount> = {
  'ext-kim': { email: 'kim@example.org', email_verified: true, name: 'Kim' },
  'ext-leo': { email: 'leo@example.com', email_verified: true },
  'ext-mia': { email: 'mia@example.com', email_verified: false },
  'ext-noemail': {},
};

let idp: { server: Server; issuer: string; provider?: Provider; key?: { privateKey: CryptoKey; jwk: JWK } };
let forge: 'nonce' | 'aud' | 'iss' | undefined;
let t: TestAuth;
let web: oidc.Configuration;

before(async () => {
  // 1. the external IdP's HTTP server first (its issuer goes into our config) …
  const server = createServer((req, res) => {
    if (!idp.provider) {
      res.statusCode = 503;
      res.end();
      return;
    }
    void idp.provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  idp = { server, issuer: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };

  // 2. … then edgepass with that provider configured …
  t = await startTestAuth({
    config: {
      providers: [
        {
          id: 'acme',
          name: 'Acme ID',
          issuer: idp.issuer,
          clientId: 'edgepass',
          clientSecretEnv: 'ACME_SECRET',
          scopes: ['openid', 'email', 'profile'],
        },
      ],
    },
    env: { ACME_SECRET: 'acme-client-secret' },
  });
  web = await clientConfig(t, 'web', t.secrets.web);

  // 3. … then the IdP itself, knowing edgepass's callback URL.
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'idp-key', alg: 'ES256', use: 'sig' };
  idp.key = { privateKey, jwk };
  const provider = new Provider(idp.issuer, {
    clients: [
      {
        client_id: 'edgepass',
        client_secret: 'acme-client-secret',
        redirect_uris: [`${t.issuer}/auth/callback`],
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ['external-idp-test'] },
    ttl: { AccessToken: 300, Grant: 600, IdToken: 300, Interaction: 600, Session: 600 },
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: () => ({ sub, ...externalAccounts[sub] }),
    }),
  });
  // The IdP misbehaves on demand: replace the ID token by one with a wrong nonce, audience or issuer.
  provider.use(async (ctx: KoaContextWithOIDC, next) => {
    await next();
    const body = ctx.body as { id_token?: string } | undefined;
    if (!forge || ctx.path !== '/token' || !body?.id_token) return;
    const claims = JSON.parse(Buffer.from(body.id_token.split('.')[1] ?? '', 'base64url').toString()) as Record<
      string,
      unknown
    >;
    if (forge === 'nonce') claims.nonce = 'not-the-nonce';
    if (forge === 'aud') claims.aud = 'someone-else';
    if (forge === 'iss') claims.iss = 'https://evil.example';
    body.id_token = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'idp-key' }).sign(privateKey);
  });
  idp.provider = provider;
});

after(async () => {
  await t.close();
  await new Promise((resolve) => idp.server.close(resolve));
});

/** Our login page → "Acme ID" → the IdP's login + consent → our callback → the client. */
async function externalLogin(sub: string, browser = new Browser()) {
  const flow = await openLogin(web, 'openid', browser);
  const link = /href="(\/auth\/acme\/start\?interaction=[^"]+)"/.exec(flow.loginPage.body)?.[1];
  assert.ok(link, 'the login page offers the external provider');
  let page: PageResult = await browser.follow(new URL(link, t.issuer).href, {}, REDIRECT_URI);
  for (let step = 0; step < 3 && !page.url.startsWith(REDIRECT_URI) && page.url.startsWith(idp.issuer); step++) {
    const form = formTo(page, '');
    const fields = form.fields.prompt === 'login' ? { ...form.fields, login: sub, password: 'any' } : form.fields;
    page = await browser.follow(form.action, { form: fields }, REDIRECT_URI);
  }
  return { ...flow, page };
}

async function linksOf(userId: string) {
  const { rows } = await t.store.sql.query<{ provider: string; subject: string }>(
    'SELECT provider, subject FROM external_identities WHERE user_id = $1 ORDER BY subject',
    [userId],
  );
  return rows;
}

describe('external IdP login', () => {
  test('first login creates a verified account and a link; the client gets a code for it', async () => {
    const { page, browser, verifier, state, loginPage } = await externalLogin('ext-kim');
    assert.ok(page.url.startsWith(REDIRECT_URI), `reached the client (status ${page.status})`);
    const tokens = await codeFlowTokens(web, { browser, callback: new URL(page.url), verifier, state, loginPage });
    const user = await t.service.accounts.findByEmail('kim@example.org');
    assert.ok(user);
    assert.equal(user.emailVerified, true);
    assert.equal(user.hasPassword, false);
    assert.equal(user.name, 'Kim');
    assert.equal(tokens.claims()?.sub, user.id);
    assert.deepEqual(await linksOf(user.id), [{ provider: 'acme', subject: 'ext-kim' }]);
    assert.ok(browser.cookies.get('ep_session'), 'a gateway session like a password login');

    const again = await externalLogin('ext-kim');
    const tokens2 = await codeFlowTokens(web, { ...again, callback: new URL(again.page.url) });
    assert.equal(tokens2.claims()?.sub, user.id, 'the same account the second time');
  });

  test('a verified email links to the existing local account', async () => {
    const local = await createUser(t, 'leo@example.com');
    const flow = await externalLogin('ext-leo');
    const tokens = await codeFlowTokens(web, { ...flow, callback: new URL(flow.page.url) });
    assert.equal(tokens.claims()?.sub, local.id);
    assert.deepEqual(await linksOf(local.id), [{ provider: 'acme', subject: 'ext-leo' }]);
    assert.equal((await t.service.accounts.findById(local.id))?.emailVerified, true);
  });

  test('an unverified email never takes over an existing account', async () => {
    const local = await createUser(t, 'mia@example.com');
    const { page } = await externalLogin('ext-mia');
    assert.equal(page.status, 400);
    assert.match(page.body, /Signing in with the external provider failed/);
    assert.deepEqual(await linksOf(local.id), []);
    assert.ok(t.logs.some((l) => l.reason === 'external_email_unverified_conflict'));
  });

  test('an IdP account without an email is refused', async () => {
    const { page } = await externalLogin('ext-noemail');
    assert.equal(page.status, 400);
    assert.ok(t.logs.some((l) => l.reason === 'external_email_missing'));
  });

  for (const mode of ['nonce', 'aud', 'iss'] as const) {
    test(`an ID token with a wrong ${mode} is refused`, async () => {
      forge = mode;
      try {
        const before = t.logs.length;
        const { page } = await externalLogin('ext-kim');
        assert.equal(page.status, 400);
        assert.match(page.body, /Signing in with the external provider failed/);
        assert.ok(t.logs.slice(before).some((l) => l.reason === 'external_code_exchange_failed'));
      } finally {
        forge = undefined;
      }
    });
  }

  test('state is single use and bound to the browser that started the login', async () => {
    const browser = new Browser();
    const flow = await openLogin(web, 'openid', browser);
    const link = /href="(\/auth\/acme\/start\?interaction=[^"]+)"/.exec(flow.loginPage.body)?.[1] ?? '';
    // stop at our callback instead of following it
    let page = await browser.follow(new URL(link, t.issuer).href, {}, `${t.issuer}/auth/callback`);
    for (let step = 0; step < 3 && !page.url.startsWith(`${t.issuer}/auth/callback`); step++) {
      const form = formTo(page, '');
      const fields =
        form.fields.prompt === 'login' ? { ...form.fields, login: 'ext-kim', password: 'any' } : form.fields;
      page = await browser.follow(form.action, { form: fields }, `${t.issuer}/auth/callback`);
    }
    const callback = page.url;
    assert.ok(callback.startsWith(`${t.issuer}/auth/callback?`));
    const stranger = await new Browser().request(callback);
    assert.equal(stranger.status, 400, 'another browser (no interaction cookie) cannot complete it');
    const replay = await browser.request(callback);
    assert.equal(replay.status, 400, 'the state was consumed by the first attempt');
    assert.ok(t.logs.some((l) => l.reason === 'external_state_unknown'));
    const bogus = await browser.request(`${t.issuer}/auth/callback?code=x&state=made-up`);
    assert.equal(bogus.status, 400);
  });

  test('an unknown provider is 404', async () => {
    const flow = await openLogin(web);
    const uid = /\/interaction\/([^/"]+)\/login/.exec(flow.loginPage.body)?.[1];
    const page = await flow.browser.request(`${t.issuer}/auth/nope/start?interaction=${uid}`);
    assert.equal(page.status, 404);
  });
});
