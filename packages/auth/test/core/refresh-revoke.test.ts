// Refresh tokens (rotation, reuse → grant revoked, the concurrent-refresh grace across two instances),
// revocation (RFC 7009) of refresh tokens and JWT access tokens, introspection (RFC 7662), driven by
// openid-client against real services on PostgreSQL + Redis.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deniedJtiKey, type EdgeEvent } from '@edgepass/store';
import { decodeJwt, importJWK, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import {
  clientConfig,
  codeFlowTokens,
  collectEvents,
  createUser,
  eventually,
  expectOAuthError,
  loginThroughForm,
  startTestAuth,
  type TestAuth,
} from './harness.ts';

let graced: TestAuth; // refreshGraceSec 10 (default)
let second: TestAuth; // a second instance sharing graced's database, Redis prefix, master key and issuer
let strict: TestAuth; // refreshGraceSec 0
const EMAIL = 'bob@example.com';

async function signIn(t: TestAuth, email = EMAIL) {
  const config = await clientConfig(t, 'web', t.secrets.web);
  const tokens = await codeFlowTokens(config, await loginThroughForm(config, email));
  return { config, tokens, refresh: tokens.refresh_token ?? assert.fail('no refresh token') };
}

/** A raw refresh request to one instance (both instances share one issuer, so openid-client can't address them). */
async function rawRefresh(base: string, t: TestAuth, refreshToken: string) {
  const response = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`web:${t.secrets.web}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

const introspectsActive = async (config: oidc.Configuration, token: string) =>
  (await oidc.tokenIntrospection(config, token)).active;

/** Every access token is denylisted (KV) and its `token.revoked` event was published. */
async function expectDenied(t: TestAuth, seen: EdgeEvent[], accessTokens: string[]) {
  for (const token of accessTokens) {
    const { jti = '', exp } = decodeJwt(token);
    assert.equal(await t.store.fast.kv.get(deniedJtiKey(jti)), String(exp), `deny:jti:${jti}`);
    await eventually(() => seen.find((e) => e.type === 'token.revoked' && e.jti === jti));
  }
}

before(async () => {
  graced = await startTestAuth();
  second = await startTestAuth({ shareWith: graced });
  strict = await startTestAuth({ config: { refreshGraceSec: 0 } });
  await createUser(graced, EMAIL, { roles: ['reader'] });
  await createUser(strict, EMAIL);
});

after(async () => {
  await second.close();
  await graced.close();
  await strict.close();
});

describe('refresh token rotation', () => {
  test('every refresh returns a new refresh token and a new access token', async () => {
    const { config, tokens, refresh } = await signIn(strict);
    const next = await oidc.refreshTokenGrant(config, refresh);
    assert.ok(next.refresh_token);
    assert.notEqual(next.refresh_token, refresh);
    assert.notEqual(next.access_token, tokens.access_token);
    assert.equal(decodeJwt(next.access_token).sub, decodeJwt(tokens.access_token).sub);
    const third = await oidc.refreshTokenGrant(config, next.refresh_token ?? '');
    assert.ok(third.refresh_token);
  });

  test('reusing a rotated refresh token revokes the whole grant', async () => {
    const { config, refresh } = await signIn(strict);
    const next = await oidc.refreshTokenGrant(config, refresh);
    await expectOAuthError(oidc.refreshTokenGrant(config, refresh), 'invalid_grant');
    // the reuse killed the grant: the newest token of the chain is dead too
    await expectOAuthError(oidc.refreshTokenGrant(config, next.refresh_token ?? ''), 'invalid_grant');
    const introspected = await oidc.tokenIntrospection(config, next.refresh_token ?? '');
    assert.equal(introspected.active, false);
    assert.ok(strict.logs.some((l) => l.reason === 'grant_revoked'));
  });

  test('without a grace window, concurrent refreshes with one token never fork the chain: exactly one wins', async () => {
    // The atomic consume lets one request win; the others either lose the race (invalid_grant) or arrive after
    // the consume and count as reuse (invalid_grant, grant revoked) — which is what the grace window prevents.
    const { refresh } = await signIn(strict);
    const results = await Promise.all(Array.from({ length: 5 }, () => rawRefresh(strict.base, strict, refresh)));
    const ok = results.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, JSON.stringify(results.map((r) => r.status)));
    for (const r of results.filter((x) => x.status !== 200)) assert.equal(r.body.error, 'invalid_grant');
  });

  test('within the grace window, concurrent refreshes on two instances get the SAME new tokens (one chain)', async () => {
    const { refresh } = await signIn(graced);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => rawRefresh(i % 2 === 0 ? graced.base : second.base, graced, refresh)),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      Array(8).fill(200),
    );
    const refreshTokens = new Set(results.map((r) => r.body.refresh_token));
    const accessTokens = new Set(results.map((r) => r.body.access_token));
    assert.equal(refreshTokens.size, 1, 'one new refresh token');
    assert.equal(accessTokens.size, 1, 'one new access token');
    const [chain] = [...refreshTokens];
    assert.notEqual(chain, refresh);
    const next = await rawRefresh(second.base, graced, chain ?? '');
    assert.equal(next.status, 200, 'the single chain continues');
    assert.notEqual(next.body.refresh_token, chain);
  });

  test('the grace cache is only served to the same client credentials', async () => {
    const { refresh } = await signIn(graced);
    const first = await rawRefresh(graced.base, graced, refresh);
    assert.equal(first.status, 200);
    const response = await fetch(`${graced.base}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('web:wrong').toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh }),
    });
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_client');
  });

  test('a disabled user can no longer refresh', async () => {
    const { config, refresh } = await signIn(strict);
    const user = await strict.service.accounts.findByEmail(EMAIL);
    await strict.service.accounts.disable(user?.id ?? '');
    try {
      await expectOAuthError(oidc.refreshTokenGrant(config, refresh), 'invalid_grant');
    } finally {
      await strict.service.accounts.setStatus(user?.id ?? '', 'active');
    }
  });
});

describe('a revoked grant takes its live access tokens with it', () => {
  test('reuse of a rotated refresh token: access tokens issued before it introspect inactive', async () => {
    const { config, tokens, refresh } = await signIn(strict);
    const next = await oidc.refreshTokenGrant(config, refresh);
    const accessTokens = [tokens.access_token, next.access_token];
    for (const at of accessTokens) assert.equal(await introspectsActive(config, at), true, 'control: active before');
    const listener = await collectEvents(strict.store.fast);
    try {
      await expectOAuthError(oidc.refreshTokenGrant(config, refresh), 'invalid_grant');
      for (const at of accessTokens) assert.equal(await introspectsActive(config, at), false);
      await expectDenied(strict, listener.seen, accessTokens);
    } finally {
      await listener.stop();
    }
    const me = await fetch(`${strict.issuer}/api/me`, { headers: { authorization: `Bearer ${next.access_token}` } });
    assert.equal(me.status, 401, 'the JSON API refuses it too');
    assert.ok(strict.logs.some((l) => l.reason === 'grant_access_tokens_denied' && l.deniedAccessTokens === 2));
  });

  test('RFC 7009 revocation of a refresh token: the access tokens of its grant introspect inactive', async () => {
    const { config, tokens, refresh } = await signIn(graced);
    assert.equal(await introspectsActive(config, tokens.access_token), true, 'control: active before');
    const listener = await collectEvents(second.store.fast);
    try {
      await oidc.tokenRevocation(config, refresh, { token_type_hint: 'refresh_token' });
      assert.equal(await introspectsActive(config, tokens.access_token), false);
      await expectDenied(graced, listener.seen, [tokens.access_token]);
    } finally {
      await listener.stop();
    }
  });

  test('with the default grace window, a replay after the successor was used is reuse: family and access tokens revoked', async () => {
    const { config, tokens, refresh: r0 } = await signIn(graced);
    const first = await rawRefresh(graced.base, graced, r0);
    assert.equal(first.status, 200);
    const duplicate = await rawRefresh(second.base, graced, r0);
    assert.deepEqual(duplicate, first, 'control: within the window a duplicate gets the same answer');
    const r1 = first.body.refresh_token ?? '';
    const moved = await rawRefresh(second.base, graced, r1);
    assert.equal(moved.status, 200, 'the chain moves on: r1 is used');

    const replay = await rawRefresh(graced.base, graced, r0);
    assert.equal(replay.status, 400, 'r0 again, still within the grace window, but its successor is used: reuse');
    assert.equal(replay.body.error, 'invalid_grant');
    const newest = await rawRefresh(second.base, graced, moved.body.refresh_token ?? '');
    assert.equal(newest.body.error, 'invalid_grant', 'the whole family is revoked');
    const accessTokens = [tokens.access_token, first.body.access_token ?? '', moved.body.access_token ?? ''];
    for (const at of accessTokens) assert.equal(await introspectsActive(config, at), false);
  });

  // `edgepass users disable` runs this too: cli.test.ts checks that the command denylists a user's tokens.
  test('disabling the account denylists the user’s live access tokens', async () => {
    const dora = await createUser(strict, 'dora@example.com');
    const { config, tokens } = await signIn(strict, 'dora@example.com');
    assert.equal(await introspectsActive(config, tokens.access_token), true, 'control: active before');
    const listener = await collectEvents(strict.store.fast);
    try {
      assert.equal((await strict.service.accounts.disable(dora.id)).status, 'disabled');
      assert.equal(await introspectsActive(config, tokens.access_token), false);
      await expectDenied(strict, listener.seen, [tokens.access_token]);
    } finally {
      await listener.stop();
    }
  });
});

describe('revocation and introspection', () => {
  test('introspection: an access token is active with its claims; a refresh token is active', async () => {
    const { config, tokens, refresh } = await signIn(graced);
    const at = await oidc.tokenIntrospection(config, tokens.access_token);
    assert.equal(at.active, true);
    const claims = decodeJwt(tokens.access_token);
    assert.equal(at.sub, claims.sub);
    assert.equal(at.jti, claims.jti);
    assert.equal(at.client_id, 'web');
    assert.equal(at.scope, 'api_keys:manage');
    assert.deepEqual((at as unknown as { roles: string[] }).roles, ['reader']);
    assert.equal(at.iss, graced.issuer);
    const rt = await oidc.tokenIntrospection(config, refresh);
    assert.equal(rt.active, true);
    assert.equal(rt.client_id, 'web');
  });

  test('revoking a refresh token: it stops working and introspects inactive', async () => {
    const { config, refresh } = await signIn(graced);
    await oidc.tokenRevocation(config, refresh, { token_type_hint: 'refresh_token' });
    assert.equal((await oidc.tokenIntrospection(config, refresh)).active, false);
    await expectOAuthError(oidc.refreshTokenGrant(config, refresh), 'invalid_grant');
  });

  test('revoking a JWT access token: jti denylisted until exp, token.revoked published, inactive, refused by the API', async () => {
    const { config, tokens } = await signIn(graced);
    const { jti, exp } = decodeJwt(tokens.access_token);
    const me = () => fetch(`${graced.issuer}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal((await me()).status, 200);
    const listener = await collectEvents(second.store.fast);
    try {
      await oidc.tokenRevocation(config, tokens.access_token);
      const event = await eventually(() => listener.seen.find((e) => e.type === 'token.revoked' && e.jti === jti));
      assert.deepEqual(event, { type: 'token.revoked', jti, exp });
    } finally {
      await listener.stop();
    }
    assert.equal(await graced.store.fast.kv.get(deniedJtiKey(jti ?? '')), String(exp));
    const ttl = await graced.store.fast.kv.ttl(deniedJtiKey(jti ?? ''));
    assert.ok(ttl > 500_000 && ttl <= 600_000, `deny TTL follows the token's remaining lifetime (${ttl} ms)`);
    assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, false);
    assert.equal((await me()).status, 401);
    // revoking again is a no-op 200
    await oidc.tokenRevocation(config, tokens.access_token);
  });

  test('a client cannot revoke another client’s access token', async () => {
    const { tokens } = await signIn(graced);
    const m2m = await clientConfig(graced, 'm2m', graced.secrets.m2m);
    await expectOAuthError(oidc.tokenRevocation(m2m, tokens.access_token), 'invalid_request');
    const web = await clientConfig(graced, 'web', graced.secrets.web);
    assert.equal((await oidc.tokenIntrospection(web, tokens.access_token)).active, true);
  });

  test('introspection says inactive for an expired token and for one signed by an unknown key', async () => {
    const web = await clientConfig(graced, 'web', graced.secrets.web);
    const [privateJwk] = graced.service.keys().providerJwks.keys;
    const key = await importJWK(privateJwk ?? assert.fail('no key'), 'ES256');
    const now = Math.floor(Date.now() / 1000);
    const build = (exp: number) =>
      new SignJWT({ client_id: 'web', scope: 'api_keys:manage' })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: privateJwk?.kid ?? '' })
        .setIssuer(graced.issuer)
        .setAudience('edgepass-api')
        .setSubject('usr_x')
        .setJti(`jti-${exp}`)
        .setIssuedAt(now - 1200)
        .setExpirationTime(exp);
    const valid = await build(now + 300).sign(key);
    assert.equal(
      (await oidc.tokenIntrospection(web, valid)).active,
      true,
      'control: a token signed with our key is active',
    );
    const expired = await build(now - 600).sign(key);
    assert.equal((await oidc.tokenIntrospection(web, expired)).active, false);
    const stranger = await importJWK(
      {
        kty: 'EC',
        crv: 'P-256',
        ...(await crypto.subtle.exportKey(
          'jwk',
          (
            await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign'])
          ).privateKey,
        )),
      },
      'ES256',
    );
    const foreign = await build(now + 300).sign(stranger);
    assert.equal((await oidc.tokenIntrospection(web, foreign)).active, false);
    assert.ok(graced.logs.some((l) => l.reason === 'token_expired'));
  });

  test('introspection and revocation need client authentication', async () => {
    const { tokens } = await signIn(graced);
    for (const path of ['/oauth/introspect', '/oauth/revoke']) {
      const response = await fetch(`${graced.issuer}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokens.access_token }),
      });
      assert.equal(response.status, 400, path);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_request');
    }
  });
});
