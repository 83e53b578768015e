// listen.public.trustedProxies: behind a load balancer the client is the right-most X-Forwarded-For address
// that is not a trusted proxy — for `by: ip` limits — and the forwarded chain is appended to instead of
// replaced. From any other peer, forwarded headers are never believed: limits count the peer, and
// X-Forwarded-* are replaced by what the gateway saw. IPv4 and IPv6.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { GatewayConfigInput } from '../src/config/schema.ts';
import { assertRefused } from './support/assertions.ts';
import { startTestGateway, type TestGateway, testConfig } from './support/gateway.ts';
import { TestUpstream } from './support/upstream.ts';

let upstream: TestUpstream;
const gateways: TestGateway[] = [];

interface Seen {
  headers: Record<string, string | undefined>;
}

function config(host: string, trustedProxies: string[] | undefined): GatewayConfigInput {
  const base = testConfig({
    routes: [
      {
        name: 'signup',
        match: { pathPrefix: '/signup' },
        service: 'user-service',
        upstream: { targets: [upstream.url] },
        accept: ['anonymous'],
        rateLimit: { limit: 2, window: '1m', by: 'ip' },
      },
    ],
  });
  return {
    ...base,
    listen: { public: { host, port: 0, ...(trustedProxies ? { trustedProxies } : {}) }, admin: { host, port: 0 } },
  };
}

async function start(host: string, trustedProxies?: string[]): Promise<TestGateway> {
  const gw = await startTestGateway(config(host, trustedProxies));
  gateways.push(gw);
  return gw;
}

/** One request to /signup; the statuses of a series, and what the upstream saw of the last one allowed. */
async function signups(gw: TestGateway, forwarded: Array<Record<string, string>>): Promise<number[]> {
  const statuses: number[] = [];
  for (const headers of forwarded) {
    const res = await fetch(gw.url('/signup'), { method: 'POST', headers, body: '{}' });
    statuses.push(res.status);
    if (res.status === 429)
      await assertRefused(res, gw.logs, { status: 429, code: 'RATE_LIMITED', reason: 'rate_limited' });
    else await res.arrayBuffer();
  }
  return statuses;
}

async function upstreamSees(gw: TestGateway, headers: Record<string, string>): Promise<Seen['headers']> {
  const res = await fetch(gw.url('/signup'), { method: 'POST', headers, body: '{}' });
  assert.equal(res.status, 200);
  return ((await res.json()) as Seen).headers;
}

const SPOOFED = {
  'x-forwarded-for': '198.51.100.1, 203.0.113.7',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'shop.example',
  forwarded: 'for=198.51.100.1;proto=https',
};

before(async () => {
  upstream = await TestUpstream.start();
});

after(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await upstream?.close();
});

describe('without trusted proxies (the default)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await start('127.0.0.1');
  });

  test('X-Forwarded-* from the client are replaced by what the gateway saw; Forwarded is dropped', async () => {
    const seen = await upstreamSees(gw, SPOOFED);
    assert.equal(seen['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen['x-forwarded-proto'], 'http');
    assert.equal(seen['x-forwarded-host'], new URL(gw.gateway.publicUrl).host);
    assert.equal(seen.forwarded, undefined);
  });

  test('by: ip counts the peer, whatever X-Forwarded-For claims', async () => {
    const statuses = await signups(gw, [
      { 'x-forwarded-for': '203.0.113.1' },
      { 'x-forwarded-for': '203.0.113.2' },
      { 'x-forwarded-for': '203.0.113.3' },
    ]);
    assert.deepEqual(statuses, [200, 429, 429], 'the request of the test above counted for the same peer');
  });
});

describe('a peer outside trustedProxies', () => {
  test('is not believed either', async () => {
    const gw = await start('127.0.0.1', ['10.0.0.0/8', 'fd00::/8']);
    assert.equal((await upstreamSees(gw, SPOOFED))['x-forwarded-for'], '127.0.0.1');
    const statuses = await signups(gw, [{ 'x-forwarded-for': '203.0.113.1' }, { 'x-forwarded-for': '203.0.113.2' }]);
    assert.deepEqual(statuses, [200, 429], 'the first request above counted for the same peer');
  });
});

describe('behind a trusted proxy (IPv4)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await start('127.0.0.1', ['127.0.0.0/8']);
  });

  test('the chain is appended to; proto, host and Forwarded of the proxy are kept', async () => {
    const seen = await upstreamSees(gw, SPOOFED);
    assert.equal(seen['x-forwarded-for'], '198.51.100.1, 203.0.113.7, 127.0.0.1');
    assert.equal(seen['x-forwarded-proto'], 'https');
    assert.equal(seen['x-forwarded-host'], 'shop.example');
    assert.equal(seen.forwarded, SPOOFED.forwarded);
  });

  test('by: ip counts the right-most untrusted address; the left part (client-written) cannot dodge it', async () => {
    // 203.0.113.7 already made one request above
    const statuses = await signups(gw, [
      { 'x-forwarded-for': '203.0.113.7' },
      { 'x-forwarded-for': '192.0.2.99, 203.0.113.7' },
      { 'x-forwarded-for': '203.0.113.8' },
      { 'x-forwarded-for': '203.0.113.8, 127.0.0.5' },
    ]);
    assert.deepEqual(statuses, [200, 429, 200, 200]);
    assert.deepEqual(await signups(gw, [{ 'x-forwarded-for': '203.0.113.8' }]), [429]);
  });

  test('without X-Forwarded-For, the proxy itself is the client', async () => {
    assert.deepEqual(await signups(gw, [{}, {}, {}]), [200, 200, 429]);
  });
});

describe('behind a trusted proxy (IPv6)', () => {
  test('an IPv6 listener trusting ::1 counts the forwarded IPv6 client', async () => {
    const gw = await start('::1', ['::1/128']);
    const seen = await upstreamSees(gw, { 'x-forwarded-for': '2001:db8::7' });
    assert.equal(seen['x-forwarded-for'], '2001:db8::7, ::1');
    const statuses = await signups(gw, [
      { 'x-forwarded-for': '2001:db8::7' },
      { 'x-forwarded-for': '2001:db8::7' },
      { 'x-forwarded-for': '2001:db8::8' },
    ]);
    assert.deepEqual(statuses, [200, 429, 200]);
  });
});
