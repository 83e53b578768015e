// The request path around authentication: route matching, credential selection, authorization (403
// with the insufficient_scope challenge), header hygiene (spoofed x-passport, credentials), request ids,
// traceparent, dot-segment refusal, stripPrefix, bodies passed through untouched.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertRefused, INVALID_TOKEN_CHALLENGE, passportClaims } from './support/assertions.ts';
import { startTestGateway, type TestGateway, testConfig } from './support/gateway.ts';
import { asResponse, rawRequest } from './support/http.ts';
import { TestIssuer } from './support/issuer.ts';
import { TestUpstream } from './support/upstream.ts';

let issuer: TestIssuer;
let upstream: TestUpstream;
let admin: TestUpstream;
let gw: TestGateway;

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

before(async () => {
  issuer = await TestIssuer.start();
  upstream = await TestUpstream.start();
  admin = await TestUpstream.start();
  gw = await startTestGateway(
    testConfig({
      issuers: [
        {
          id: 'idp',
          issuer: issuer.url,
          jwksUri: issuer.jwksUri,
          audiences: ['edgepass-api'],
          algorithms: ['RS256', 'ES256'],
        },
      ],
      routes: [
        {
          name: 'api',
          match: { pathPrefix: '/api' },
          service: 'vocabulary',
          upstream: { targets: [upstream.url], stripPrefix: true },
          accept: ['access_token', 'api_key'],
        },
        {
          name: 'api-admin',
          match: { pathPrefix: '/api/admin', methods: ['GET', 'POST'] },
          service: 'admin-service',
          upstream: { targets: [admin.url] },
          accept: ['access_token'],
          require: { scopes: ['admin:read', 'admin:write'], roles: ['admin'] },
        },
        {
          name: 'premium',
          match: { pathPrefix: '/premium' },
          service: 'vocabulary',
          upstream: { targets: [upstream.url] },
          accept: ['access_token'],
          require: { plans: ['premium'] },
        },
        {
          name: 'hosted',
          match: { host: 'docs.example.test', pathPrefix: '/' },
          service: 'docs',
          upstream: { targets: [admin.url] },
          accept: ['anonymous'],
        },
        {
          name: 'public',
          match: { pathPrefix: '/public' },
          service: 'vocabulary',
          upstream: { targets: [upstream.url] },
          accept: ['anonymous', 'access_token'],
        },
      ],
    }),
  );
});

after(async () => {
  await gw?.close();
  await upstream?.close();
  await admin?.close();
  await issuer?.down();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('authorization', () => {
  test('missing scope → 403 insufficient_scope naming the required scopes', async () => {
    const token = await issuer.mint({ scope: 'admin:read', roles: ['admin'] });
    const res = await fetch(gw.url('/api/admin/users'), { headers: bearer(token) });
    await assertRefused(res, gw.logs, {
      status: 403,
      code: 'INSUFFICIENT_SCOPE',
      reason: 'missing_scope',
      challenge: 'Bearer realm="edgepass", error="insufficient_scope", scope="admin:read admin:write"',
    });
  });

  test('missing role → 403 ROLE_REQUIRED; the challenge names no scope (the scopes are there)', async () => {
    const token = await issuer.mint({ scope: 'admin:read admin:write', roles: ['member'] });
    const res = await fetch(gw.url('/api/admin/users'), { headers: bearer(token) });
    await assertRefused(res, gw.logs, {
      status: 403,
      code: 'ROLE_REQUIRED',
      reason: 'missing_role',
      challenge: 'Bearer realm="edgepass", error="insufficient_scope"',
    });
  });

  test('plan not allowed → 403 PLAN_REQUIRED; the right plan passes', async () => {
    const free = await fetch(gw.url('/premium/x'), { headers: bearer(await issuer.mint({ plan: 'free' })) });
    await assertRefused(free, gw.logs, {
      status: 403,
      code: 'PLAN_REQUIRED',
      reason: 'plan_not_allowed',
      challenge: 'Bearer realm="edgepass", error="insufficient_scope"',
    });
    const premium = await fetch(gw.url('/premium/x'), { headers: bearer(await issuer.mint({ plan: 'premium' })) });
    assert.equal(premium.status, 200);
  });

  test('scopes and role present → the more specific route serves it', async () => {
    const token = await issuer.mint({ scope: 'admin:read admin:write', roles: ['admin'] });
    const res = await fetch(gw.url('/api/admin/users?page=2'), { headers: bearer(token) });
    assert.equal(res.status, 200);
    const seen = (await res.json()) as Seen;
    assert.equal(seen.url, '/api/admin/users?page=2', 'no stripPrefix on this route');
    const passport = passportClaims(seen.headers['x-passport']);
    assert.equal(passport.aud, 'admin-service');
  });
});

describe('routing', () => {
  test('no route → 404 problem with a request id', async () => {
    await assertRefused(await fetch(gw.url('/nothing-here')), gw.logs, {
      status: 404,
      code: 'ROUTE_NOT_FOUND',
      reason: 'no_route',
    });
  });

  test('a method the route does not allow falls through to the next match', async () => {
    const token = await issuer.mint({ scope: 'admin:read admin:write', roles: ['admin'] });
    const res = await fetch(gw.url('/api/admin/users'), { method: 'DELETE', headers: bearer(token) });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as Seen).url, '/admin/users', 'served by "api" with its prefix stripped');
  });

  test('prefixes match whole segments: /apix is not under /api', async () => {
    assert.equal((await fetch(gw.url('/apix'))).status, 404);
  });

  test('host routes match the Host header (with or without port)', async () => {
    for (const host of ['docs.example.test:8080', 'DOCS.example.test']) {
      const res = await rawRequest(gw.gateway.publicUrl, '/guide', { headers: { host } });
      assert.equal(res.status, 200);
      assert.equal(admin.last().url, '/guide');
      assert.equal(admin.last().headers['x-forwarded-host'], host);
    }
    const other = await rawRequest(gw.gateway.publicUrl, '/guide', { headers: { host: 'docs.example.test.evil' } });
    assert.equal(other.status, 404);
  });

  test('an undecodable URL → 400 problem+json with a request id (the URL is not echoed)', async () => {
    const res = asResponse(await rawRequest(gw.gateway.publicUrl, '/public/%zz'));
    const body = await res.clone().text();
    assert.ok(!body.includes('%zz'));
    await assertRefused(res, gw.logs, { status: 400, code: 'BAD_REQUEST', reason: 'FST_ERR_BAD_URL' });
  });

  test('dot segments, also encoded, are refused before any routing', async () => {
    for (const path of [
      '/public/../api/admin/users',
      '/public/%2e%2e/api/admin',
      '/public/..%2fapi/admin',
      '/public/.%2E/x',
    ]) {
      const res = asResponse(await rawRequest(gw.gateway.publicUrl, path));
      await assertRefused(res, gw.logs, { status: 400, code: 'BAD_REQUEST', reason: 'dot_segment_in_path' });
    }
  });
});

describe('credential selection', () => {
  test('a presented but invalid credential never falls through to anonymous', async () => {
    const res = await fetch(gw.url('/public/x'), { headers: bearer('garbage') });
    await assertRefused(res, gw.logs, {
      status: 401,
      code: 'INVALID_CREDENTIAL',
      reason: 'malformed',
      challenge: INVALID_TOKEN_CHALLENGE,
    });
  });

  test('a credential kind the route does not accept is refused', async () => {
    const res = await fetch(gw.url('/public/x'), { headers: { 'x-api-key': 'ep_test_0123456789abcdef0123' } });
    await assertRefused(res, gw.logs, {
      status: 401,
      code: 'INVALID_CREDENTIAL',
      reason: 'not_accepted',
      challenge: INVALID_TOKEN_CHALLENGE,
    });
  });

  test('two credentials at once are refused', async () => {
    const res = await fetch(gw.url('/api/x'), {
      headers: { ...bearer(await issuer.mint()), 'x-api-key': 'ep_test_0123456789abcdef0123' },
    });
    await assertRefused(res, gw.logs, {
      status: 401,
      code: 'INVALID_CREDENTIAL',
      reason: 'multiple_credentials',
      challenge: INVALID_TOKEN_CHALLENGE,
    });
  });

  test('nothing presented on an anonymous route → an anonymous passport', async () => {
    const res = await fetch(gw.url('/public/x'));
    assert.equal(res.status, 200);
    const seen = (await res.json()) as Seen;
    const claims = passportClaims(seen.headers['x-passport']);
    assert.deepEqual([claims.kind, claims.via, claims.sub], ['anonymous', 'anonymous', 'anonymous']);
  });
});

describe('headers', () => {
  test('a client-sent x-passport never reaches the upstream, nor Authorization', async () => {
    const forged = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.';
    for (const headers of [{ 'x-passport': forged }, { 'x-passport': forged, ...bearer(await issuer.mint()) }]) {
      const res = await fetch(gw.url('/public/echo'), { headers });
      assert.equal(res.status, 200);
      const seen = (await res.json()) as Seen;
      assert.notEqual(seen.headers['x-passport'], forged);
      assert.ok(seen.headers['x-passport']?.startsWith('eyJ'));
      assert.equal(seen.headers.authorization, undefined);
    }
    // repeated x-passport lines (node joins them): none of them passes
    const raw = await rawRequest(gw.gateway.publicUrl, '/public/raw', {
      headers: { 'x-passport': [forged, 'second'] },
    });
    assert.equal(raw.status, 200);
    const seen = JSON.parse(raw.body) as Seen;
    assert.ok(!seen.headers['x-passport']?.includes(forged));
    assert.ok(!seen.headers['x-passport']?.includes('second'));
  });

  test('x-request-id: a well-formed client id is kept and forwarded; a bad one is replaced', async () => {
    const kept = await fetch(gw.url('/public/x'), { headers: { 'x-request-id': 'client-req.42:a' } });
    assert.equal(kept.headers.get('x-request-id'), 'client-req.42:a');
    assert.equal(((await kept.json()) as Seen).headers['x-request-id'], 'client-req.42:a');
    const replaced = await fetch(gw.url('/public/x'), { headers: { 'x-request-id': 'bad id with spaces' } });
    const id = replaced.headers.get('x-request-id');
    assert.ok(id && id !== 'bad id with spaces' && /^[A-Za-z0-9._:-]{1,128}$/.test(id));
    assert.equal(((await replaced.json()) as Seen).headers['x-request-id'], id);
  });

  test('traceparent: a valid one is propagated, otherwise a new trace starts (and tracestate is dropped)', async () => {
    const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const kept = (await (
      await fetch(gw.url('/public/x'), { headers: { traceparent: valid, tracestate: 'a=1' } })
    ).json()) as Seen;
    assert.equal(kept.headers.traceparent, valid);
    assert.equal(kept.headers.tracestate, 'a=1');
    const fresh = (await (
      await fetch(gw.url('/public/x'), { headers: { traceparent: '00-zz-bad', tracestate: 'a=1' } })
    ).json()) as Seen;
    assert.match(fresh.headers.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.notEqual(fresh.headers.traceparent, valid);
    assert.equal(fresh.headers.tracestate, undefined);
    const none = (await (await fetch(gw.url('/public/x'))).json()) as Seen;
    assert.match(none.headers.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.notEqual(none.headers.traceparent, fresh.headers.traceparent);
  });

  test('request bodies reach the upstream byte for byte, with their content type (never parsed)', async () => {
    const token = await issuer.mint();
    const bodies: Array<[string | undefined, string]> = [
      ['application/json', '{"a": 1,   "b": [1,2]}'],
      ['application/x-www-form-urlencoded', 'a=1&b=%20x'],
      ['text/plain; charset=utf-8', 'héllo\nwörld'],
      [undefined, 'no content type at all'],
      ['application/octet-stream', '\u0000\u0001binary'],
    ];
    for (const [type, body] of bodies) {
      const headers: Record<string, string> = bearer(token);
      if (type) headers['content-type'] = type;
      const res = await fetch(gw.url('/api/upload'), { method: 'POST', headers, body });
      assert.equal(res.status, 200);
      const seen = (await res.json()) as Seen;
      assert.equal(seen.body, body);
      assert.equal(seen.method, 'POST');
      assert.equal(seen.url, '/upload');
      if (type) assert.equal(seen.headers['content-type'], type);
    }
  });

  test('refusals are counted per route and status', async () => {
    const text = await (await fetch(`${gw.gateway.adminUrl}/metrics`)).text();
    assert.match(text, /edgepass_requests_total\{route="api-admin",status="403"\} 2/);
    assert.match(text, /edgepass_requests_total\{route="",status="404"\} \d+/);
    assert.match(text, /edgepass_upstream_duration_seconds_count\{route="public"\} \d+/);
  });
});
