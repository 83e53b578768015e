// The OAuth 2.1 profile, driven by openid-client as a real client against a real service (PostgreSQL + Redis):
// discovery, code + PKCE through the login form, PKCE/redirect_uri enforcement, client_credentials,
// access-token claims verified with plain jose against the published JWKS, userinfo-free JWT access tokens.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, type JWK, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { Browser, formTo } from './browser.ts';
import {
  clientConfig,
  codeFlowTokens,
  createUser,
  expectOAuthError,
  loginThroughForm,
  openLogin,
  PASSWORD,
  REDIRECT_URI,
  startTestAuth,
  type TestAuth,
} from './harness.ts';

let t: TestAuth;
let web: oidc.Configuration;

async function publishedJwks(): Promise<{ keys: JWK[] }> {
  const response = await fetch(`${t.issuer}/.well-known/jwks.json`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /application\/jwk-set\+json/);
  return (await response.json()) as { keys: JWK[] };
}

async function verifyWithJose(token: string) {
  return await jwtVerify(token, createLocalJWKSet(await publishedJwks()), {
    issuer: t.issuer,
    audience: 'edgepass-api',
    algorithms: ['ES256'],
    typ: 'at+jwt',
  });
}

before(async () => {
  t = await startTestAuth();
  await createUser(t, 'alice@example.com', { roles: ['admin', 'editor'], plan: 'premium' });
  web = await clientConfig(t, 'web', t.secrets.web);
});

after(async () => {
  await t.close();
});

describe('discovery', () => {
  test('advertises the OAuth 2.1 profile and the JWKS path', async () => {
    const meta = web.serverMetadata();
    assert.equal(meta.issuer, t.issuer);
    assert.equal(meta.jwks_uri, `${t.issuer}/.well-known/jwks.json`);
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(meta.response_types_supported, ['code']);
    assert.deepEqual([...(meta.grant_types_supported ?? [])].sort(), [
      'authorization_code',
      'client_credentials',
      'refresh_token',
    ]);
    assert.ok(meta.revocation_endpoint?.endsWith('/oauth/revoke'));
    assert.ok(meta.introspection_endpoint?.endsWith('/oauth/introspect'));
    assert.deepEqual([...(meta.token_endpoint_auth_methods_supported ?? [])].sort(), [
      'client_secret_basic',
      'client_secret_post',
      'none',
    ]);
    const oauthMeta = (await (await fetch(`${t.issuer}/.well-known/oauth-authorization-server`)).json()) as {
      issuer: string;
    };
    assert.equal(oauthMeta.issuer, t.issuer);
  });
});

describe('authorization code + PKCE', () => {
  test('login form → code → tokens; the access token verifies with plain jose against the JWKS', async () => {
    const flow = await loginThroughForm(web, 'alice@example.com');
    assert.ok(flow.callback.searchParams.get('code'));
    const tokens = await codeFlowTokens(web, flow);
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.ok(tokens.refresh_token, 'a refresh token for a client allowed refresh_token');
    assert.ok(tokens.id_token, 'an ID token because openid was requested');
    const user = await t.service.accounts.findByEmail('alice@example.com');
    const { payload, protectedHeader } = await verifyWithJose(tokens.access_token);
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(protectedHeader.kid, t.service.keys().activeKid);
    assert.equal(payload.sub, user?.id);
    assert.equal(payload.client_id, 'web');
    assert.equal(payload.scope, 'api_keys:manage');
    assert.deepEqual(payload.roles, ['admin', 'editor']);
    assert.equal(payload.plan, 'premium');
    assert.equal(typeof payload.jti, 'string');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 600);
    assert.equal(tokens.claims()?.sub, user?.id);
  });

  test('email and profile claims are in the ID token (there is no userinfo endpoint)', async () => {
    const flow = await loginThroughForm(web, 'alice@example.com', undefined, { scope: 'openid email profile' });
    const tokens = await codeFlowTokens(web, flow);
    const claims = tokens.claims();
    assert.equal(claims?.email, 'alice@example.com');
    assert.equal(claims?.email_verified, false);
    assert.equal(web.serverMetadata().userinfo_endpoint, undefined);
  });

  test('pushed authorization requests (PAR) work through the same login', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const url = await oidc.buildAuthorizationUrlWithPAR(web, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: 'par-state',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    assert.ok(url.searchParams.get('request_uri')?.startsWith('urn:ietf:params:oauth:request_uri:'));
    const browser = new Browser();
    const login = formTo(await browser.follow(url.href), '/login');
    const back = await browser.follow(
      login.action,
      { form: { ...login.fields, email: 'alice@example.com', password: PASSWORD } },
      REDIRECT_URI,
    );
    const tokens = await oidc.authorizationCodeGrant(web, new URL(back.url), {
      pkceCodeVerifier: verifier,
      expectedState: 'par-state',
    });
    assert.ok(tokens.access_token);
  });

  test('no ID token without openid', async () => {
    const flow = await loginThroughForm(web, 'alice@example.com', undefined, { scope: 'api_keys:manage' });
    const tokens = await oidc.authorizationCodeGrant(web, flow.callback, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      idTokenExpected: false,
    });
    assert.equal(tokens.id_token, undefined);
    assert.ok(tokens.access_token);
  });

  test('an authorization request without code_challenge is refused (PKCE required)', async () => {
    const url = oidc.buildAuthorizationUrl(web, { redirect_uri: REDIRECT_URI, scope: 'openid', state: 's1' });
    const page = await new Browser().follow(url.href, {}, REDIRECT_URI);
    const back = new URL(page.url);
    assert.equal(back.origin + back.pathname, REDIRECT_URI);
    assert.equal(back.searchParams.get('error'), 'invalid_request');
    assert.equal(back.searchParams.get('code'), null);
  });

  test('code_challenge_method=plain is refused (S256 only)', async () => {
    const url = oidc.buildAuthorizationUrl(web, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: oidc.randomPKCECodeVerifier(),
      code_challenge_method: 'plain',
    });
    const page = await new Browser().follow(url.href, {}, REDIRECT_URI);
    assert.equal(new URL(page.url).searchParams.get('error'), 'invalid_request');
  });

  test('an unregistered redirect_uri gets an error page, never a redirect', async () => {
    for (const redirect of [`${REDIRECT_URI}/extra`, `${REDIRECT_URI}?x=1`, 'http://127.0.0.1:8977/cb']) {
      const url = oidc.buildAuthorizationUrl(web, {
        redirect_uri: redirect,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const page = await new Browser().request(url.href);
      assert.equal(page.status, 400, redirect);
      assert.equal(page.headers.get('location'), null);
      assert.match(page.body, /invalid_redirect_uri/);
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    }
  });

  test('a wrong code_verifier is refused and the code cannot be used twice', async () => {
    const flow = await loginThroughForm(web, 'alice@example.com');
    await expectOAuthError(
      oidc.authorizationCodeGrant(web, flow.callback, {
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
        expectedState: flow.state,
      }),
      'invalid_grant',
    );
    const flow2 = await loginThroughForm(web, 'alice@example.com');
    await codeFlowTokens(web, flow2);
    await expectOAuthError(codeFlowTokens(web, flow2), 'invalid_grant');
  });

  test('a public client authenticates with PKCE only and gets the consent page', async () => {
    const spa = await clientConfig(t, 'spa');
    const flow = await loginThroughForm(spa, 'alice@example.com', undefined, { scope: 'openid usage:read' });
    const tokens = await codeFlowTokens(spa, flow);
    const { payload } = await verifyWithJose(tokens.access_token);
    assert.equal(payload.client_id, 'spa');
    assert.equal(payload.scope, 'usage:read');
  });

  test('a confidential client with a wrong secret cannot redeem a code', async () => {
    const flow = await loginThroughForm(web, 'alice@example.com');
    const impostor = await clientConfig(t, 'web', 'not-the-secret');
    await expectOAuthError(codeFlowTokens(impostor, flow), 'invalid_client');
  });
});

describe('client_credentials', () => {
  test('issues a JWT access token with the client roles and no refresh token', async () => {
    const m2m = await clientConfig(t, 'm2m', t.secrets.m2m);
    const tokens = await oidc.clientCredentialsGrant(m2m, { scope: 'usage:read' });
    assert.equal(tokens.refresh_token, undefined);
    const { payload } = await verifyWithJose(tokens.access_token);
    assert.equal(payload.sub, 'm2m');
    assert.equal(payload.client_id, 'm2m');
    assert.deepEqual(payload.roles, ['service']);
    assert.equal(payload.scope, 'usage:read');
    assert.equal(payload.plan, undefined);
  });

  test('a wrong secret is invalid_client; a client without the grant is refused', async () => {
    await expectOAuthError(oidc.clientCredentialsGrant(await clientConfig(t, 'm2m', 'wrong')), 'invalid_client');
    // oidc-provider answers invalid_request ("requested grant type is not allowed for this client")
    await expectOAuthError(oidc.clientCredentialsGrant(web), 'invalid_request');
  });

  test('password and implicit grants do not exist', async () => {
    const response = await fetch(`${t.issuer}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`web:${t.secrets.web}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'password', username: 'alice@example.com', password: 'x' }),
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: string }).error, 'unsupported_grant_type');
    const { loginPage } = await openLogin(web);
    assert.equal(loginPage.status, 200);
    const implicit = new URL(`${t.issuer}/oauth/authorize`);
    implicit.search = new URLSearchParams({
      client_id: 'web',
      response_type: 'token',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
    }).toString();
    const page = await new Browser().follow(implicit.href, {}, REDIRECT_URI);
    assert.equal(new URLSearchParams(new URL(page.url).hash.slice(1)).get('error'), 'unsupported_response_type');
  });
});

describe('the JSON API accepts this service’s access tokens', () => {
  test('GET /api/me with a fresh token; 401 without one', async () => {
    const tokens = await codeFlowTokens(web, await loginThroughForm(web, 'alice@example.com'));
    const me = await fetch(`${t.issuer}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(me.status, 200);
    const body = (await me.json()) as { email: string; plan: string };
    assert.equal(body.email, 'alice@example.com');
    assert.equal(body.plan, 'premium');
    const anonymous = await fetch(`${t.issuer}/api/me`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  test('a token signed by another key is refused', async () => {
    const tokens = await codeFlowTokens(web, await loginThroughForm(web, 'alice@example.com'));
    const [header, payload] = tokens.access_token.split('.');
    const forged = `${header}.${payload}.${Buffer.from('x'.repeat(64)).toString('base64url')}`;
    assert.equal(decodeProtectedHeader(forged).kid, t.service.keys().activeKid);
    const me = await fetch(`${t.issuer}/api/me`, { headers: { authorization: `Bearer ${forged}` } });
    assert.equal(me.status, 401);
  });
});
