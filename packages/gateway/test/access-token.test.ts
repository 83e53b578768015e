// access_token: every failure path answers 401 with the RFC 6750 challenge and a generic body, the
// reason is logged and the token never is; JWKS single-flight refetch with cooldown; stale keys while
// the IdP is down; revocation through the denylist and through events.
import assert from 'node:assert/strict';
import { createHmac, createPublicKey } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { deniedJtiKey, EVENTS_CHANNEL, encodeEvent } from '@edgepass/store';
import { SignJWT } from 'jose';
import { assertRefused, INVALID_TOKEN_CHALLENGE, MISSING_CHALLENGE } from './support/assertions.ts';
import { eventually, startTestGateway, type TestGateway, testConfig } from './support/gateway.ts';
import { generateTestKey, TestIssuer } from './support/issuer.ts';
import { TestUpstream } from './support/upstream.ts';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
let clock = T0;
const now = () => clock;

let issuer: TestIssuer;
let upstream: TestUpstream;
let gw: TestGateway;
const tokens: string[] = [];

async function mint(...args: Parameters<TestIssuer['mint']>): Promise<string> {
  const token = await issuer.mint(...args);
  tokens.push(token);
  return token;
}

function call(token: string | undefined, path = '/v1/words'): Promise<Response> {
  return fetch(gw.url(path), token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

before(async () => {
  issuer = await TestIssuer.start({ now });
  upstream = await TestUpstream.start();
  gw = await startTestGateway(
    testConfig({
      issuers: [
        {
          id: 'test-idp',
          issuer: issuer.url,
          jwksUri: issuer.jwksUri,
          audiences: ['edgepass-api'],
          algorithms: ['RS256', 'ES256'],
          clockSkew: '30s',
          requireTyp: 'at+jwt',
          cooldown: '30s',
        },
      ],
      routes: [
        {
          name: 'vocabulary',
          match: { pathPrefix: '/v1' },
          service: 'vocabulary',
          upstream: { targets: [upstream.url] },
          accept: ['access_token'],
        },
      ],
    }),
    { now },
  );
});

after(async () => {
  await gw?.close();
  await upstream?.close();
  await issuer?.down();
});

describe('access_token accepted', () => {
  test('an RS256 and an ES256 token from the trusted issuer reach the upstream with a passport', async () => {
    for (const alg of ['RS256', 'ES256'] as const) {
      const res = await call(await mint({}, { alg }));
      assert.equal(res.status, 200, await res.clone().text());
      const seen = (await res.json()) as { headers: Record<string, string> };
      assert.ok(seen.headers['x-passport'], 'the upstream receives x-passport');
      assert.equal(seen.headers.authorization, undefined, 'Authorization is not forwarded');
    }
  });

  test('a verified token is served from the cache until its exp, then refused as expired', async () => {
    const token = await mint({}, { expiresIn: 120 });
    assert.equal((await call(token)).status, 200);
    clock += 119_000;
    assert.equal((await call(token)).status, 200);
    clock += 2000; // past exp: the cache must not outlive the token (the skew tolerance is jose's, on re-verification)
    clock += 31_000;
    await assertRefused(await call(token), gw.logs, {
      status: 401,
      code: 'INVALID_CREDENTIAL',
      reason: 'expired',
      challenge: INVALID_TOKEN_CHALLENGE,
    });
    clock = T0;
  });
});

describe('access_token refused: every failure path', () => {
  const refused = (reason: string) => ({
    status: 401,
    code: 'INVALID_CREDENTIAL',
    reason,
    challenge: INVALID_TOKEN_CHALLENGE,
  });

  test('missing credential → 401 without error attribute', async () => {
    await assertRefused(await call(undefined), gw.logs, {
      status: 401,
      code: 'UNAUTHENTICATED',
      reason: 'missing',
      challenge: MISSING_CHALLENGE,
    });
  });

  test('malformed token', async () => {
    await assertRefused(await call('not-a-jwt'), gw.logs, refused('malformed'));
    await assertRefused(await call('a.b.c'), gw.logs, refused('malformed'));
  });

  test('malformed Authorization header and unknown scheme', async () => {
    const empty = await fetch(gw.url('/v1/x'), { headers: { authorization: 'Bearer' } });
    await assertRefused(empty, gw.logs, refused('malformed'));
    const basic = await fetch(gw.url('/v1/x'), { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    await assertRefused(basic, gw.logs, refused('unsupported_scheme'));
  });

  test('bad signature', async () => {
    const token = await mint();
    const [h, p, s] = token.split('.');
    const flipped = `${s?.startsWith('A') ? 'B' : 'A'}${s?.slice(1)}`;
    await assertRefused(await call(`${h}.${p}.${flipped}`), gw.logs, refused('bad_signature'));
    // a payload changed after signing
    const other = await mint({ sub: 'usr_mallory' });
    await assertRefused(await call(`${h}.${other.split('.')[1]}.${s}`), gw.logs, refused('bad_signature'));
  });

  test('algorithm not in the issuer allow-list', async () => {
    const ps = await generateTestKey('RS256', 'rs-1');
    const { privateKey } = await import('jose').then((jose) => jose.generateKeyPair('PS256'));
    const token = await new SignJWT({ iss: issuer.url, aud: 'edgepass-api', sub: 'usr_alice', exp: T0 / 1000 + 60 })
      .setProtectedHeader({ alg: 'PS256', kid: ps.kid, typ: 'at+jwt' })
      .sign(privateKey);
    tokens.push(token);
    await assertRefused(await call(token), gw.logs, refused('alg_not_allowed'));
  });

  test('alg none', async () => {
    const token = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ iss: issuer.url, aud: 'edgepass-api', sub: 'usr_alice', exp: T0 / 1000 + 60 })}.`;
    await assertRefused(await call(token), gw.logs, refused('alg_not_allowed'));
  });

  test('HS256 signed with the RSA public key (algorithm confusion)', async () => {
    const pem = createPublicKey({
      key: issuer.key('RS256').publicJwk as import('node:crypto').JsonWebKey,
      format: 'jwk',
    })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const input = `${b64({ alg: 'HS256', kid: 'rs-1', typ: 'at+jwt' })}.${b64({ iss: issuer.url, aud: 'edgepass-api', sub: 'usr_alice', exp: T0 / 1000 + 60 })}`;
    const token = `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    await assertRefused(await call(token), gw.logs, refused('alg_not_allowed'));
  });

  test('expired (beyond the clock skew)', async () => {
    const token = await mint({ exp: T0 / 1000 - 31 });
    await assertRefused(await call(token), gw.logs, refused('expired'));
  });

  test('expired within the clock skew is still accepted', async () => {
    assert.equal((await call(await mint({ exp: T0 / 1000 - 10 }))).status, 200);
  });

  test('not yet valid (nbf beyond the clock skew)', async () => {
    const token = await mint({ nbf: T0 / 1000 + 60 });
    await assertRefused(await call(token), gw.logs, refused('not_yet_valid'));
  });

  test('wrong issuer', async () => {
    await assertRefused(await call(await mint({ iss: 'https://evil.example' })), gw.logs, refused('unknown_issuer'));
  });

  test('wrong audience', async () => {
    await assertRefused(await call(await mint({ aud: 'another-api' })), gw.logs, refused('wrong_audience'));
  });

  test('wrong typ when the issuer requires one', async () => {
    await assertRefused(await call(await mint({}, { typ: 'JWT' })), gw.logs, refused('wrong_typ'));
  });

  test('missing exp', async () => {
    await assertRefused(await call(await mint({ exp: undefined })), gw.logs, refused('invalid_claims'));
  });

  test('bad claim types (roles not a list of strings)', async () => {
    await assertRefused(await call(await mint({ roles: 'admin' })), gw.logs, refused('invalid_claims'));
  });

  test('unknown kid: one single-flight refetch, then refused; no refetch during the cooldown', async () => {
    clock += 60_000; // past the cooldown of the start fetch
    const stranger = await generateTestKey('RS256', 'rs-unknown');
    const before = issuer.jwksRequests;
    const token = await mint({}, { key: stranger });
    const [a, b] = await Promise.all([call(token), call(token)]);
    await assertRefused(a, gw.logs, refused('unknown_kid'));
    await assertRefused(b, gw.logs, refused('unknown_kid'));
    assert.equal(issuer.jwksRequests, before + 1, 'concurrent unknown kids share one fetch');
    await assertRefused(await call(token), gw.logs, refused('unknown_kid'));
    assert.equal(issuer.jwksRequests, before + 1, 'no refetch within the cooldown');
    clock = T0;
  });

  test('a key rotated in at the IdP: every request arriving while the refetch is in flight waits for it', async () => {
    clock += 120_000;
    const rotated = await generateTestKey('ES256', 'es-2');
    issuer.published.push(rotated);
    const before = issuer.jwksRequests;
    const release = issuer.holdJwks();
    const tokens = await Promise.all(Array.from({ length: 8 }, () => mint({}, { key: rotated })));
    const answers = tokens.map((token) => call(token));
    // the first request's refetch is in flight; the others arrive during it
    await eventually(() => issuer.jwksRequests === before + 1, 'the refetch reached the issuer');
    release();
    const statuses = await Promise.all(answers.map(async (res) => (await res).status));
    assert.deepEqual(statuses, Array(8).fill(200));
    assert.equal(issuer.jwksRequests, before + 1, 'one fetch for all of them');
    clock = T0;
  });

  test('revoked token (jti in the shared denylist) is refused', async () => {
    const token = await mint({ jti: 'jti-denied-kv' });
    await gw.store.fast.kv.set(deniedJtiKey('jti-denied-kv'), '1', { ttlMs: 60_000 });
    await assertRefused(await call(token), gw.logs, refused('revoked'));
  });

  test('token.revoked makes the gateway refuse a cached token within 1 s', async () => {
    const token = await mint({ jti: 'jti-revoked-event' });
    assert.equal((await call(token)).status, 200);
    assert.equal((await call(token)).status, 200, 'now cached');
    const published = Date.now();
    await gw.store.fast.pubsub.publish(
      EVENTS_CHANNEL,
      encodeEvent({ type: 'token.revoked', jti: 'jti-revoked-event', exp: T0 / 1000 + 300 }),
    );
    let last: Response | undefined;
    await eventually(
      async () => {
        last = await call(token);
        return last.status === 401;
      },
      'the revoked token to be refused',
      1000,
    );
    assert.ok(Date.now() - published < 1000);
    assert.ok(last);
    await assertRefused(last, gw.logs, refused('revoked'));
  });

  test('the token never appears in any log line', () => {
    assert.ok(tokens.length > 10);
    for (const token of tokens) {
      assert.equal(gw.logs.contains(token), false);
      assert.equal(gw.logs.contains(token.split('.')[2] ?? token), false, 'not even its signature');
    }
  });

  test('authn outcomes are counted by method and reason', async () => {
    const text = await (await fetch(`${gw.gateway.adminUrl}/metrics`)).text();
    assert.match(text, /edgepass_authn_total\{method="access_token",outcome="ok"\} \d+/);
    assert.match(text, /edgepass_authn_total\{method="access_token",outcome="bad_signature"\} 2/);
    assert.match(text, /edgepass_authn_total\{method="none",outcome="missing"\} 1/);
    assert.match(text, /edgepass_jwks_fetches_total\{issuer="test-idp",outcome="ok"\} \d+/);
  });
});

describe('IdP unreachable', () => {
  test('with a warm cache valid tokens still pass, and keys stay usable for new tokens', async () => {
    const cached = await mint();
    assert.equal((await call(cached)).status, 200);
    await issuer.down();
    try {
      clock += 60_000;
      // a refresh attempt fails (keys.changed forces one): the keys we have are kept
      await gw.store.fast.pubsub.publish(EVENTS_CHANNEL, encodeEvent({ type: 'keys.changed', use: 'access_token' }));
      await eventually(
        () => gw.logs.find({ msg: 'issuer keys fetch failed', cause: 'keys_changed' }).length > 0,
        'the failed refresh',
      );
      assert.equal((await call(cached)).status, 200, 'cached token');
      assert.equal((await call(await mint())).status, 200, 'new token, known kid');
      assert.equal((await call(await mint({}, { alg: 'ES256' }))).status, 200, 'other known key');
    } finally {
      await issuer.up();
      clock = T0;
    }
  });
});
