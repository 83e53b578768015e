// A browser login against the auth service with plain fetch: authorization request (code + PKCE S256) →
// the login form → the client's redirect_uri with a code (not followed) → the token endpoint as a public
// client. Returns the access token, the browser, whose jar holds the ep_session cookie, and every URL the
// login requested (so a test can check that all of it went through one gateway).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Browser, formTo, type PageResult } from '../../../packages/auth/test/core/browser.ts';

export interface LoggedIn {
  accessToken: string;
  browser: Browser;
  /** the ep_session cookie value */
  session: string;
  /** every URL requested during the login, in order (the client's redirect_uri is not followed) */
  requested: string[];
}

/** A Browser that remembers every URL it requested. */
class RecordingBrowser extends Browser {
  readonly requested: string[] = [];

  override request(url: string, init?: Parameters<Browser['request']>[1]): Promise<PageResult> {
    this.requested.push(url);
    return super.request(url, init);
  }
}

export async function loginWithPkce(options: {
  issuer: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  email: string;
  password: string;
}): Promise<LoggedIn> {
  const browser = new RecordingBrowser();
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const authorize = new URL(`${options.issuer}/oauth/authorize`);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    scope: options.scope,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const loginPage = await browser.follow(authorize.href);
  const form = formTo(loginPage, '/login');
  const back = await browser.follow(
    form.action,
    { form: { ...form.fields, email: options.email, password: options.password } },
    options.redirectUri,
  );
  const callback = new URL(back.url);
  assert.equal(callback.searchParams.get('state'), state);
  const code = callback.searchParams.get('code');
  assert.ok(code, `login reached the redirect_uri with a code (status ${back.status})`);
  const tokenEndpoint = `${options.issuer}/oauth/token`;
  browser.requested.push(tokenEndpoint);
  const response = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: options.redirectUri,
      client_id: options.clientId,
      code_verifier: verifier,
    }),
  });
  assert.equal(response.status, 200);
  const tokens = (await response.json()) as { access_token: string };
  const session = browser.cookies.get('ep_session');
  assert.ok(session, 'the login set the ep_session cookie');
  return { accessToken: tokens.access_token, browser, session, requested: [...browser.requested] };
}
