// Logout ends everything the browser session authorised: the ep_session row is revoked (session.revoked
// published), the session's refresh tokens die, live access-token jtis are denylisted (token.revoked
// published), and gateways see it through the store's pub/sub.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deniedJtiKey, type EdgeEvent } from '@edgepass/store';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { hashSessionValue } from '../../src/sessions/browser-sessions.ts';
import { Browser, formTo } from './browser.ts';
import {
  clientConfig,
  codeFlowTokens,
  collectEvents,
  createUser,
  eventually,
  loginThroughForm,
  POST_LOGOUT_URI,
  startTestAuth,
  type TestAuth,
} from './harness.ts';

let t: TestAuth;
let web: oidc.Configuration;
let seen: EdgeEvent[];
let stop: () => Promise<void>;

before(async () => {
  t = await startTestAuth();
  web = await clientConfig(t, 'web', t.secrets.web);
  await createUser(t, 'judy@example.com');
  ({ seen, stop } = await collectEvents(t.store.fast));
});

after(async () => {
  await stop();
  await t.close();
});

async function sessionRow(value: string) {
  const { rows } = await t.store.sql.query<{ revoked_at: Date | null; grant_ids: string[] }>(
    'SELECT revoked_at, grant_ids FROM sessions WHERE id_hash = $1',
    [hashSessionValue(value)],
  );
  return rows[0];
}

test('logout revokes the session, its refresh tokens and its live access tokens, and tells the gateways', async () => {
  const flow = await loginThroughForm(web, 'judy@example.com');
  const tokens = await codeFlowTokens(web, flow);
  const refreshed = await oidc.refreshTokenGrant(web, tokens.refresh_token ?? '');
  const cookie = flow.browser.cookies.get('ep_session') ?? assert.fail('no ep_session cookie');
  const row = await sessionRow(cookie);
  assert.equal(row?.revoked_at, null);
  assert.equal(row?.grant_ids.length, 1, 'the grant created in this session is recorded');

  // an unrelated session of the same user survives
  const other = await loginThroughForm(web, 'judy@example.com');
  const otherTokens = await codeFlowTokens(web, other);

  const confirm = await flow.browser.request(`${t.issuer}/logout`);
  assert.equal(confirm.status, 200);
  assert.match(confirm.body, /Sign out of edgepass on this device\?/);
  const form = formTo(confirm, '/logout');
  const done = await flow.browser.request(form.action, { form: form.fields });
  assert.equal(done.status, 200);
  assert.match(done.body, /You have been signed out/);
  assert.equal(flow.browser.cookies.has('ep_session'), false, 'the cookie is cleared');

  assert.ok((await sessionRow(cookie))?.revoked_at instanceof Date);
  const hash = hashSessionValue(cookie);
  await eventually(() => seen.find((e) => e.type === 'session.revoked' && e.hash === hash));

  for (const at of [tokens.access_token, refreshed.access_token]) {
    const { jti, exp } = decodeJwt(at);
    assert.equal(await t.store.fast.kv.get(deniedJtiKey(jti ?? '')), String(exp), 'live jti denylisted until exp');
    await eventually(() => seen.find((e) => e.type === 'token.revoked' && e.jti === jti && e.exp === exp));
    assert.equal((await oidc.tokenIntrospection(web, at)).active, false);
  }
  for (const rt of [tokens.refresh_token, refreshed.refresh_token]) {
    await assert.rejects(
      oidc.refreshTokenGrant(web, rt ?? ''),
      (e: unknown) => e instanceof oidc.ResponseBodyError && e.error === 'invalid_grant',
    );
  }
  assert.ok(t.logs.some((l) => l.reason === 'logout' && l.deniedAccessTokens === 2));

  // the other browser session and its tokens are untouched
  assert.equal((await sessionRow(other.browser.cookies.get('ep_session') ?? ''))?.revoked_at, null);
  assert.equal((await oidc.tokenIntrospection(web, otherTokens.access_token)).active, true);
  const still = await oidc.refreshTokenGrant(web, otherTokens.refresh_token ?? '');
  assert.ok(still.access_token);

  // the logged-out browser must sign in again
  const again = await flow.browser.follow(
    oidc.buildAuthorizationUrl(web, {
      redirect_uri: 'http://127.0.0.1:8976/cb',
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    }).href,
  );
  assert.match(again.body, /<h1>Sign in<\/h1>/);
});

test('logout needs a valid CSRF token', async () => {
  const flow = await loginThroughForm(web, 'judy@example.com');
  const confirm = await flow.browser.request(`${t.issuer}/logout`);
  const form = formTo(confirm, '/logout');
  const forged = await flow.browser.request(form.action, { form: { ...form.fields, csrf: 'forged' } });
  assert.equal(forged.status, 403);
  const cookie = flow.browser.cookies.get('ep_session') ?? '';
  assert.equal((await sessionRow(cookie))?.revoked_at, null);
  // a token from another browser's logout page does not transfer
  const stranger = await loginThroughForm(web, 'judy@example.com');
  const strangerForm = formTo(await stranger.browser.request(`${t.issuer}/logout`), '/logout');
  const crossed = await flow.browser.request(form.action, { form: { csrf: strangerForm.fields.csrf ?? '' } });
  assert.equal(crossed.status, 403);
});

test('post_logout_redirect_uri is honoured only when registered for the client', async () => {
  const flow = await loginThroughForm(web, 'judy@example.com');
  const confirm = await flow.browser.request(
    `${t.issuer}/logout?client_id=web&post_logout_redirect_uri=${encodeURIComponent(POST_LOGOUT_URI)}`,
  );
  const form = formTo(confirm, '/logout');
  assert.equal(form.fields.post_logout_redirect_uri, POST_LOGOUT_URI);
  const done = await flow.browser.request(form.action, { form: form.fields });
  assert.equal(done.status, 303);
  assert.equal(done.headers.get('location'), POST_LOGOUT_URI);

  const evil = await new Browser().request(
    `${t.issuer}/logout?client_id=web&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`,
  );
  assert.equal(evil.status, 200, 'no session: the signed-out page, never a redirect to an unregistered URI');
  assert.equal(evil.headers.get('location'), null);
});
