// The admin listener: /healthz always, /readyz only once every issuer's keys were fetched (503
// problem+json before), /metrics in Prometheus text, the passport JWKS; requests with a token before
// the keys were ever fetched are 503, not 401.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertRefused } from './support/assertions.ts';
import { eventually, startTestGateway, type TestGateway, testConfig } from './support/gateway.ts';
import { TestIssuer } from './support/issuer.ts';
import { TestUpstream } from './support/upstream.ts';

let issuer: TestIssuer;
let upstream: TestUpstream;
let gw: TestGateway;

before(async () => {
  issuer = await TestIssuer.start();
  upstream = await TestUpstream.start();
  await issuer.down(); // the IdP is unreachable when the gateway starts
  gw = await startTestGateway(
    testConfig({
      issuers: [
        {
          id: 'idp',
          issuer: issuer.url,
          discovery: true,
          audiences: ['edgepass-api'],
          algorithms: ['RS256'],
          fetchTimeout: '1s',
          cooldown: '1s',
        },
      ],
      routes: [
        {
          name: 'api',
          match: { pathPrefix: '/api' },
          service: 'api',
          upstream: { targets: [upstream.url] },
          accept: ['access_token'],
        },
      ],
    }),
  );
});

after(async () => {
  await gw?.close();
  await upstream?.close();
  await issuer?.down();
});

test('healthz answers while readyz is 503 until the issuer keys were fetched once', async () => {
  const health = await fetch(`${gw.gateway.adminUrl}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });
  const notReady = await fetch(`${gw.gateway.adminUrl}/readyz`);
  assert.equal(notReady.status, 503);
  assert.equal(notReady.headers.get('content-type'), 'application/problem+json');
  assert.equal(((await notReady.json()) as { code: string }).code, 'NOT_READY');
  assert.equal(gw.gateway.ready(), false);
});

test('a token while no issuer key was ever fetched → 503, not 401', async () => {
  const token = await issuer.mint();
  const res = await fetch(gw.url('/api/x'), { headers: { authorization: `Bearer ${token}` } });
  await assertRefused(res, gw.logs, { status: 503, code: 'DEPENDENCY_UNAVAILABLE', reason: 'keys_unavailable' });
});

test('once the IdP is reachable (discovery, then JWKS) the gateway becomes ready and tokens pass', async () => {
  await issuer.up();
  await eventually(async () => (await fetch(`${gw.gateway.adminUrl}/readyz`)).status === 200, 'readiness', 10_000);
  const res = await fetch(gw.url('/api/x'), { headers: { authorization: `Bearer ${await issuer.mint()}` } });
  assert.equal(res.status, 200);
});

test('metrics: requests, authn outcomes, JWKS fetches, upstream latency in Prometheus text', async () => {
  const res = await fetch(`${gw.gateway.adminUrl}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await res.text();
  assert.match(text, /edgepass_requests_total\{route="api",status="200"\} 1/);
  assert.match(text, /edgepass_requests_total\{route="api",status="503"\} 1/);
  assert.match(text, /edgepass_authn_total\{method="access_token",outcome="keys_unavailable"\} 1/);
  assert.match(text, /edgepass_jwks_fetches_total\{issuer="idp",outcome="error"\} \d+/);
  assert.match(text, /edgepass_jwks_fetches_total\{issuer="idp",outcome="ok"\} 1/);
  assert.match(text, /edgepass_upstream_duration_seconds_bucket\{le="0.005",route="api"\} \d+/);
  assert.match(text, /edgepass_process_cpu_seconds_total/);
});

test('the admin listener serves nothing else and the passport JWKS as a JWK set', async () => {
  const jwks = await fetch(`${gw.gateway.adminUrl}/.well-known/passport-jwks.json`);
  assert.equal(jwks.headers.get('content-type'), 'application/jwk-set+json');
  const body = (await jwks.json()) as {
    keys: Array<{ kty: string; crv: string; alg: string; use: string; d?: string }>;
  };
  assert.equal(body.keys.length, 1);
  assert.deepEqual(
    [body.keys[0]?.kty, body.keys[0]?.crv, body.keys[0]?.alg, body.keys[0]?.use],
    ['OKP', 'Ed25519', 'EdDSA', 'sig'],
  );
  assert.equal(body.keys[0]?.d, undefined, 'never the private part');
  const other = await fetch(`${gw.gateway.adminUrl}/api/x`);
  assert.equal(other.status, 404);
  // and the public listener does not serve admin paths
  assert.equal((await fetch(gw.url('/metrics'))).status, 404);
});
