// Login with an external OIDC provider: a second oidc-provider instance started here plays the external
// IdP (its dev login/consent pages). Covers account creation, re-login, linking by VERIFIED email only — and
// to an account with a password but an unverified email only after its password is entered (account-takeover
// by pre-registration) —, state single use and browser binding, and ID-token validation (nonce/aud/iss forged
// by the IdP → refused).
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
  loginThroughForm,
  openLogin,
  PASSWORD,
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
  'ext-olga': { email: 'olga@example.com', email_verified: true },
  'ext-pia': { email: 'pia@example.com', email_verified: true },
  'ext-quin': { email: 'quin@example.com', email_verified: true },
  'ext-ray': { email: 'ray@example.com', email_verified: true },
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
  const link = /href="(\/interaction\/[^/"]+\/external\/acme)"/.exec(flow.loginPage.body)?.[1];
  assert.ok(link, 'the login page offers the external provider');
  let page: PageResult = await browser.follow(new URL(link, t.issuer).href, {}, REDIRECT_URI);
  for (let step = 0; step < 3 && !page.url.startsWith(REDIRECT_URI) && page.url.startsWith(idp.issuer); step++) {
    const form = formTo(page, '');
    const fields = form.fields.prompt === 'login' ? { ...form.fields, login: sub, password: 'any' } : form.fields;
    page = await browser.follow(form.action, { form: fields }, REDIRECT_URI);
  }
  return { ...flow, page };
}

/** An external login that goes straight through to the client (no link page); the subject it signed in. */
async function directLogin(sub: string): Promise<string | undefined> {
  const flow = await externalLogin(sub);
  assert.ok(flow.page.url.startsWith(REDIRECT_URI), `no link page (status ${flow.page.status})`);
  return (await codeFlowTokens(web, { ...flow, callback: new URL(flow.page.url) })).claims()?.sub;
}

/** Like externalLogin, but stops at our callback (the IdP's redirect) instead of following it. */
async function untilCallback(sub: string) {
  const browser = new Browser();
  const callbackAt = `${t.issuer}/auth/callback`;
  const flow = await openLogin(web, 'openid', browser);
  const link = /href="(\/interaction\/[^/"]+\/external\/acme)"/.exec(flow.loginPage.body)?.[1] ?? '';
  let page = await browser.follow(new URL(link, t.issuer).href, {}, callbackAt);
  for (let step = 0; step < 3 && !page.url.startsWith(callbackAt); step++) {
    const form = formTo(page, '');
    const fields = form.fields.prompt === 'login' ? { ...form.fields, login: sub, password: 'any' } : form.fields;
    page = await browser.follow(form.action, { form: fields }, callbackAt);
  }
  return { browser, callback: page.url };
}

/** Posts the account-link page's form (wrong, right or no password). */
async function submitLink(page: PageResult, browser: Browser, fields: Record<string, string>) {
  const form = formTo(page, '/link');
  return await browser.follow(form.action, { form: { ...form.fields, ...fields } }, REDIRECT_URI);
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

  test('an account with a password and an unverified email is linked only after its password is entered', async () => {
    // e.g. registered by an attacker with a password of their choice before the owner ever used the IdP
    const local = await createUser(t, 'leo@example.com');
    assert.equal(local.emailVerified, false);
    const flow = await externalLogin('ext-leo');
    assert.equal(flow.page.status, 200, 'the link page instead of a silent link');
    assert.match(new URL(flow.page.url).pathname, /^\/interaction\/[^/]+\/link$/);
    assert.match(flow.page.body, /Link your Acme ID sign-in/);
    assert.match(flow.page.body, /An account for <strong>leo@example\.com<\/strong> already exists/);
    assert.match(flow.page.body, /autocomplete="current-password"/);
    assert.deepEqual(await linksOf(local.id), [], 'nothing linked yet');
    assert.ok(t.logs.some((l) => l.reason === 'external_link_needs_password' && l.userId === local.id));

    const noCsrf = await flow.browser.request(formTo(flow.page, '/link').action, { form: { password: PASSWORD } });
    assert.equal(noCsrf.status, 403, 'the form is CSRF-protected');
    const stranger = await new Browser().request(formTo(flow.page, '/link').action, {
      form: { ...formTo(flow.page, '/link').fields, password: PASSWORD },
    });
    assert.equal(stranger.status, 400, 'another browser (no interaction cookie) cannot use it');

    const wrong = await submitLink(flow.page, flow.browser, { password: 'not the password at all' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body, /The password is not correct/);
    assert.ok(t.logs.some((l) => l.reason === 'password_mismatch' && l.userId === local.id));
    assert.deepEqual(await linksOf(local.id), [], 'a wrong password links nothing');
    assert.equal((await t.service.accounts.findById(local.id))?.emailVerified, false);

    const right = await submitLink(wrong, flow.browser, { password: PASSWORD });
    assert.ok(right.url.startsWith(REDIRECT_URI), `the login continues to the client (status ${right.status})`);
    const tokens = await codeFlowTokens(web, { ...flow, callback: new URL(right.url) });
    assert.equal(tokens.claims()?.sub, local.id);
    assert.deepEqual(await linksOf(local.id), [{ provider: 'acme', subject: 'ext-leo' }]);
    assert.equal((await t.service.accounts.findById(local.id))?.emailVerified, true);
    assert.ok(t.logs.some((l) => l.reason === 'external_link_confirmed' && l.userId === local.id));

    const replay = await submitLink(wrong, flow.browser, { password: PASSWORD });
    assert.equal(replay.status, 400, 'the pending link was used up');
    const again = await externalLogin('ext-leo');
    assert.ok(again.page.url.startsWith(REDIRECT_URI), 'linked now: the next external login goes straight through');
  });

  test('wrong passwords on the link page are throttled like logins', async () => {
    const local = await createUser(t, 'olga@example.com');
    const flow = await externalLogin('ext-olga');
    let page = flow.page;
    for (let i = 0; i < 5; i++) {
      page = await submitLink(page, flow.browser, { password: `wrong password ${i}!` });
      assert.equal(page.status, 401, `attempt ${i + 1}`);
    }
    const blocked = await submitLink(page, flow.browser, { password: PASSWORD });
    assert.equal(blocked.status, 429, 'after the account limit even the right password is refused');
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
    assert.match(blocked.body, /Too many attempts/);
    assert.ok(t.logs.some((l) => l.reason === 'login_throttled' && l.limit === 'account' && l.userId === local.id));
    assert.deepEqual(await linksOf(local.id), []);
    const login = await loginThroughForm(web, 'olga@example.com').catch((err: Error) => err);
    assert.match(String(login), /status 429/, 'the same account slots as the login page');
    const cancel = formTo(blocked, '/abort');
    const aborted = await flow.browser.follow(cancel.action, { form: cancel.fields }, REDIRECT_URI);
    assert.equal(new URL(aborted.url).searchParams.get('error'), 'access_denied', 'Cancel goes back to the client');
  });

  test('an account whose email is already verified is linked at once', async () => {
    const local = await t.service.accounts.create({
      email: 'pia@example.com',
      password: PASSWORD,
      emailVerified: true,
    });
    assert.equal(await directLogin('ext-pia'), local.id);
    assert.deepEqual(await linksOf(local.id), [{ provider: 'acme', subject: 'ext-pia' }]);
  });

  test('an account without a password or other links (made for external login) is linked at once', async () => {
    const local = await t.service.accounts.create({ email: 'quin@example.com' });
    assert.equal(await directLogin('ext-quin'), local.id);
    assert.equal((await t.service.accounts.findById(local.id))?.emailVerified, true);
  });

  test('an unverified account linked to another IdP is not linked (that identity never proved the email)', async () => {
    const other = await t.service.accounts.createExternal(
      { email: 'ray@example.com', emailVerified: false },
      { provider: 'sloppy-idp', subject: 'whoever' },
    );
    const { page } = await externalLogin('ext-ray');
    assert.equal(page.status, 400);
    assert.match(page.body, /Signing in with the external provider failed/);
    assert.deepEqual(await linksOf(other.id), [{ provider: 'sloppy-idp', subject: 'whoever' }]);
    assert.ok(t.logs.some((l) => l.reason === 'external_link_unverified_account'));
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
    const { browser, callback } = await untilCallback('ext-kim');
    assert.ok(callback.startsWith(`${t.issuer}/auth/callback?`));
    const stranger = await new Browser().follow(callback, {}, REDIRECT_URI);
    assert.equal(stranger.status, 400, 'another browser (no interaction cookie) cannot complete it');
    assert.match(stranger.body, /The sign-in request has expired/);
    const mine = await browser.follow(callback, {}, REDIRECT_URI);
    assert.ok(mine.url.startsWith(REDIRECT_URI), 'a stranger’s attempt did not use the state up');
    const replay = await browser.follow(callback, {}, REDIRECT_URI);
    assert.equal(replay.status, 400, 'the state was used up by the first completed attempt');
    assert.ok(t.logs.some((l) => l.reason === 'external_state_unknown'));
    const bogus = await browser.request(`${t.issuer}/auth/callback?code=x&state=made-up`);
    assert.equal(bogus.status, 400);
  });

  test('concurrent callbacks with one state: exactly one uses it (atomic consume)', async () => {
    const { browser, callback } = await untilCallback('ext-kim');
    const mark = t.logs.length;
    const results = await Promise.all(Array.from({ length: 6 }, () => browser.follow(callback, {}, REDIRECT_URI)));
    const reasons = t.logs.slice(mark).map((l) => l.reason);
    const statuses = JSON.stringify(results.map((r) => r.status));
    assert.equal(results.filter((r) => r.url.startsWith(REDIRECT_URI)).length, 1, statuses);
    assert.equal(reasons.filter((r) => r === 'external_state_unknown').length, 5, JSON.stringify(reasons));
    assert.ok(!reasons.includes('external_code_exchange_failed'), 'the code was exchanged once');
  });

  test('the documented /auth/<provider>/start?interaction=<uid> redirects to where the login page links', async () => {
    const flow = await openLogin(web);
    const uid = /\/interaction\/([^/"]+)\/login/.exec(flow.loginPage.body)?.[1] ?? assert.fail('no interaction uid');
    assert.match(flow.loginPage.body, new RegExp(`href="/interaction/${uid}/external/acme"`));
    const page = await flow.browser.request(`${t.issuer}/auth/acme/start?interaction=${uid}`);
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), `/interaction/${uid}/external/acme`);
  });

  test('an unknown provider is 404', async () => {
    const flow = await openLogin(web);
    const uid = /\/interaction\/([^/"]+)\/login/.exec(flow.loginPage.body)?.[1];
    const page = await flow.browser.request(`${t.issuer}/auth/nope/start?interaction=${uid}`);
    assert.equal(page.status, 404);
  });
});
