// `credentials: passthrough`: a route whose upstream authenticates callers itself (the auth service) gets
// Authorization, the API-key header and the session cookie untouched, whatever they hold — the gateway neither
// verifies nor refuses them — while a client-sent x-passport is still replaced by an anonymous passport and
// the route's rate limit (per IP) still applies. Every other route keeps stripping those credentials.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertRefused, INVALID_TOKEN_CHALLENGE, passportClaims } from './support/assertions.ts';
import { startTestGateway, type TestGateway, testConfig } from './support/gateway.ts';
import { TestIssuer } from './support/issuer.ts';
import { TestUpstream } from './support/upstream.ts';

let issuer: TestIssuer;
let idp: TestUpstream;
let api: TestUpstream;
let gw: TestGateway;

interface Seen {
  url: string;
  headers: Record<string, string | undefined>;
  body: string;
}

const FORGED_PASSPORT = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.';
/** What a browser and an OAuth client send to the auth service: all of it must arrive as sent. */
const IDP_CREDENTIALS = {
  authorization: 'Basic d2ViOnMzY3JldA==',
  'x-api-key': 'ep_test_not-a-key-the-gateway-would-accept',
  cookie: 'ep_session=browser-session-value-0123456789; theme=dark',
};

before(async () => {
  issuer = await TestIssuer.start();
  idp = await TestUpstream.start();
  api = await TestUpstream.start();
  gw = await startTestGateway(
    testConfig({
      issuers: [
        { id: 'idp', issuer: issuer.url, jwksUri: issuer.jwksUri, audiences: ['edgepass-api'], algorithms: ['RS256'] },
      ],
      routes: [
        {
          name: 'idp',
          match: { pathPrefix: '/oauth' },
          service: 'auth',
          upstream: { targets: [idp.url] },
          credentials: 'passthrough',
          accept: ['anonymous'],
          rateLimit: { limit: 4, window: '1m', by: 'ip' },
        },
        {
          name: 'api',
          match: { pathPrefix: '/api' },
          service: 'vocabulary',
          upstream: { targets: [api.url] },
          accept: ['access_token', 'anonymous'],
        },
      ],
    }),
  );
});

after(async () => {
  await gw?.close();
  await idp?.close();
  await api?.close();
  await issuer?.down();
});

async function seenBy(res: Response): Promise<Seen> {
  assert.equal(res.status, 200, `status (body: ${await res.clone().text()})`);
  return (await res.json()) as Seen;
}

describe('a passthrough route', () => {
  test('forwards Authorization, X-API-Key and ep_session untouched; replaces x-passport with an anonymous one', async () => {
    const res = await fetch(gw.url('/oauth/token'), {
      method: 'POST',
      headers: {
        ...IDP_CREDENTIALS,
        'x-passport': FORGED_PASSPORT,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const seen = await seenBy(res);
    assert.equal(seen.headers.authorization, IDP_CREDENTIALS.authorization);
    assert.equal(seen.headers['x-api-key'], IDP_CREDENTIALS['x-api-key']);
    assert.equal(seen.headers.cookie, IDP_CREDENTIALS.cookie);
    assert.equal(seen.body, 'grant_type=client_credentials');
    assert.notEqual(seen.headers['x-passport'], FORGED_PASSPORT);
    const claims = passportClaims(seen.headers['x-passport']);
    assert.deepEqual(
      [claims.kind, claims.via, claims.sub, claims.aud],
      ['anonymous', 'anonymous', 'anonymous', 'auth'],
    );
    assert.ok(gw.logs.find({ route: 'idp', status: 200 }).length > 0, 'logged as an allowed request');
  });

  test('a Bearer token is neither verified nor refused: the upstream decides (a token the gateway would refuse)', async () => {
    const expired = await issuer.mint({}, { expiresIn: -3600 });
    const res = await fetch(gw.url('/oauth/userinfo'), { headers: { authorization: `Bearer ${expired}` } });
    const seen = await seenBy(res);
    assert.equal(seen.headers.authorization, `Bearer ${expired}`);
    assert.equal(passportClaims(seen.headers['x-passport']).kind, 'anonymous');
  });

  test('the per-IP rate limit still applies, whatever credential each attempt carries (brute force)', async () => {
    // the two requests above counted too: 4 a minute per IP
    const attempts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(gw.url('/oauth/token'), {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`web:guess-${i}`).toString('base64')}` },
        body: '',
      });
      attempts.push(res.status);
      if (res.status === 429) {
        assert.ok(Number(res.headers.get('retry-after')) >= 1);
        await assertRefused(res, gw.logs, { status: 429, code: 'RATE_LIMITED', reason: 'rate_limited' });
      } else await res.arrayBuffer();
    }
    assert.deepEqual(attempts, [200, 200, 429]);
  });
});

describe('a route that verifies credentials (the default)', () => {
  test('never forwards Authorization, X-API-Key or ep_session', async () => {
    const token = await issuer.mint();
    const res = await fetch(gw.url('/api/echo'), {
      headers: { authorization: `Bearer ${token}`, cookie: IDP_CREDENTIALS.cookie, 'x-passport': FORGED_PASSPORT },
    });
    const seen = await seenBy(res);
    assert.equal(seen.headers.authorization, undefined);
    assert.equal(seen.headers.cookie, 'theme=dark');
    const claims = passportClaims(seen.headers['x-passport']);
    assert.equal(claims.via, 'access_token');
    const anonymous = await seenBy(await fetch(gw.url('/api/echo'), { headers: { cookie: IDP_CREDENTIALS.cookie } }));
    assert.equal(anonymous.headers.cookie, 'theme=dark');
    assert.equal(anonymous.headers['x-api-key'], undefined);
  });

  test('refuses what the passthrough route let through (and the upstream never sees it)', async () => {
    const before = api.received.length;
    const basic = await fetch(gw.url('/api/echo'), { headers: { authorization: IDP_CREDENTIALS.authorization } });
    await assertRefused(basic, gw.logs, {
      status: 401,
      code: 'INVALID_CREDENTIAL',
      reason: 'unsupported_scheme',
      challenge: INVALID_TOKEN_CHALLENGE,
    });
    const key = await fetch(gw.url('/api/echo'), { headers: { 'x-api-key': IDP_CREDENTIALS['x-api-key'] } });
    await assertRefused(key, gw.logs, {
      status: 401,
      code: 'INVALID_CREDENTIAL',
      reason: 'not_accepted',
      challenge: INVALID_TOKEN_CHALLENGE,
    });
    assert.equal(api.received.length, before);
  });
});
