// Rate limits and quotas: 429 with Retry-After and RateLimit-* (also on allowed responses), 402 when a
// plan's quota is used up, one global limit across two gateways on one Redis, and the per-route
// fail-open / fail-closed policy when Redis goes down.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EVENTS_CHANNEL, encodeEvent, openStore, type Store } from '@edgepass/store';
import { testRedisUrl, uniquePrefix } from '../../../test/support/env.ts';
import { type RunningServer, startRedis } from '../../../test/support/servers.ts';
import type { GatewayConfigInput } from '../src/config/schema.ts';
import { assertRefused } from './support/assertions.ts';
import { eventually, startTestGateway, type TestGateway, testConfig } from './support/gateway.ts';
import { TestIssuer } from './support/issuer.ts';
import { TestUpstream } from './support/upstream.ts';

let upstream: TestUpstream;
let issuer: TestIssuer;
const T0 = Date.UTC(2026, 4, 31, 23, 0, 0);
let clock = T0;
const now = () => clock;

before(async () => {
  upstream = await TestUpstream.start();
  issuer = await TestIssuer.start({ now });
});

after(async () => {
  await upstream?.close();
  await issuer?.down();
});

function limitedConfig(extra: Partial<GatewayConfigInput> = {}): GatewayConfigInput {
  return testConfig({
    issuers: [
      { id: 'idp', issuer: issuer.url, jwksUri: issuer.jwksUri, audiences: ['edgepass-api'], algorithms: ['RS256'] },
    ],
    routes: [
      {
        name: 'limited',
        match: { pathPrefix: '/limited' },
        service: 'vocabulary',
        upstream: { targets: [upstream.url] },
        accept: ['anonymous'],
        rateLimit: { limit: 5, window: '60s', by: 'ip', onStoreDown: 'closed' },
      },
      {
        name: 'open',
        match: { pathPrefix: '/open' },
        service: 'vocabulary',
        upstream: { targets: [upstream.url] },
        accept: ['anonymous'],
        rateLimit: { limit: 1000, window: '60s', by: 'ip', onStoreDown: 'open' },
      },
      {
        name: 'per-principal',
        match: { pathPrefix: '/per-principal' },
        service: 'vocabulary',
        upstream: { targets: [upstream.url] },
        accept: ['access_token'],
        rateLimit: { limit: 2, window: '60s', by: 'principal' },
      },
      {
        name: 'quota',
        match: { pathPrefix: '/quota' },
        service: 'vocabulary',
        upstream: { targets: [upstream.url] },
        accept: ['access_token'],
        quota: { window: 'day', plans: { free: 2, premium: 'unlimited' } },
      },
    ],
    ...extra,
  });
}

describe('rate limit (memory)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(limitedConfig(), { now });
  });
  after(async () => {
    await gw?.close();
  });

  test('allowed responses carry RateLimit-*; over the limit → 429 with Retry-After', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await fetch(gw.url('/limited/x'));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('ratelimit-limit'), '5');
      assert.equal(res.headers.get('ratelimit-remaining'), String(4 - i));
      const reset = Number(res.headers.get('ratelimit-reset'));
      assert.ok(reset > 0 && reset <= 60);
    }
    const res = await fetch(gw.url('/limited/x'));
    const retryAfter = Number(res.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(res.headers.get('ratelimit-remaining'), '0');
    await assertRefused(res, gw.logs, { status: 429, code: 'RATE_LIMITED', reason: 'rate_limited' });
    const metrics = await (await fetch(`${gw.gateway.adminUrl}/metrics`)).text();
    assert.match(metrics, /edgepass_rate_limited_total\{route="limited"\} 1/);
  });

  test('by principal: one counter per user across its tokens, not per token or per address', async () => {
    const call = async (sub: string) =>
      fetch(gw.url('/per-principal/x'), { headers: { authorization: `Bearer ${await issuer.mint({ sub })}` } });
    assert.equal((await call('usr_ada')).status, 200);
    assert.equal((await call('usr_ada')).status, 200); // a second token of the same user
    await assertRefused(await call('usr_ada'), gw.logs, { status: 429, code: 'RATE_LIMITED', reason: 'rate_limited' });
    const other = await call('usr_grace'); // same address, another principal
    assert.equal(other.status, 200);
    assert.equal(other.headers.get('ratelimit-remaining'), '1');
  });

  test('quota: the plan decides; over quota → 402; unlimited plans pass; a new day starts afresh', async () => {
    const free = await issuer.mint({ sub: 'usr_free', plan: 'free' });
    const premium = await issuer.mint({ sub: 'usr_premium', plan: 'premium' });
    const call = (token: string) => fetch(gw.url('/quota/x'), { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await call(free)).status, 200);
    assert.equal((await call(free)).status, 200);
    await assertRefused(await call(free), gw.logs, { status: 402, code: 'QUOTA_EXCEEDED', reason: 'quota_exceeded' });
    for (let i = 0; i < 5; i++) assert.equal((await call(premium)).status, 200);
    const noPlan = await issuer.mint({ sub: 'usr_none', plan: undefined });
    await assertRefused(await call(noPlan), gw.logs, { status: 402, code: 'QUOTA_EXCEEDED', reason: 'quota_zero' });
    clock = T0 + 3600_000; // 2026-06-01: a new UTC day
    try {
      const tomorrow = await issuer.mint({ sub: 'usr_free', plan: 'free' });
      assert.equal((await call(tomorrow)).status, 200);
    } finally {
      clock = T0;
    }
  });
});

describe('two gateways on one Redis', () => {
  const stores: Store[] = [];
  const gateways: TestGateway[] = [];
  before(async () => {
    const keyPrefix = uniquePrefix('gw');
    for (let i = 0; i < 2; i++) {
      const store = await openStore({ dataDir: 'memory://', redisUrl: testRedisUrl(), keyPrefix });
      stores.push(store);
      gateways.push(await startTestGateway(limitedConfig(), { store, now }));
    }
  });
  after(async () => {
    for (const gw of gateways) await gw.close();
    for (const store of stores) await store.close();
  });

  test('enforce one global rate limit', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => fetch(gateways[i % 2]?.url('/limited/x') ?? '').then((r) => r.status)),
    );
    assert.equal(statuses.filter((s) => s === 200).length, 5, `statuses ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 429).length, 7);
    for (const gw of gateways) {
      const res = await fetch(gw.url('/limited/x'));
      assert.equal(res.status, 429, 'both instances see the shared counter');
      await res.body?.cancel();
    }
  });

  test('a revocation published on one reaches both within 1 s', async () => {
    const token = await issuer.mint({ sub: 'usr_shared', plan: 'premium', jti: 'jti-shared-revocation' });
    const call = (gw: TestGateway) =>
      fetch(gw.url('/quota/x'), { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    for (const gw of gateways) assert.equal(await call(gw), 200, 'cached as valid on both');
    const published = Date.now();
    await stores[0]?.fast.pubsub.publish(
      EVENTS_CHANNEL,
      encodeEvent({ type: 'token.revoked', jti: 'jti-shared-revocation', exp: T0 / 1000 + 300 }),
    );
    for (const gw of gateways) {
      await eventually(async () => (await call(gw)) === 401, 'the revoked token to be refused', 1000);
    }
    assert.ok(Date.now() - published < 2000);
  });
});

describe('Redis down', () => {
  test('Redis down: onStoreDown open lets requests through, closed answers 503', async () => {
    let redis: RunningServer | undefined = await startRedis();
    const store = await openStore({ dataDir: 'memory://', redisUrl: redis.url, keyPrefix: uniquePrefix('down') });
    const gw = await startTestGateway(limitedConfig(), { store, now });
    try {
      assert.equal((await fetch(gw.url('/open/x'))).status, 200);
      assert.equal((await fetch(gw.url('/limited/x'))).status, 200);
      await redis.stop();
      redis = undefined;
      const started = Date.now();
      const open = await fetch(gw.url('/open/x'));
      assert.equal(open.status, 200, 'fail-open');
      await assertRefused(await fetch(gw.url('/limited/x')), gw.logs, {
        status: 503,
        code: 'DEPENDENCY_UNAVAILABLE',
        reason: 'rate_limit_store_unavailable',
      });
      assert.ok(Date.now() - started < 5000, 'the store fails fast');
      assert.ok(gw.logs.find({ msg: 'store unavailable: request allowed (fail-open)' }).length > 0);
      const metrics = await (await fetch(`${gw.gateway.adminUrl}/metrics`)).text();
      assert.match(metrics, /edgepass_store_unavailable_total\{check="rate_limit",policy="open"\} 1/);
      assert.match(metrics, /edgepass_store_unavailable_total\{check="rate_limit",policy="closed"\} 1/);
    } finally {
      await gw.close();
      await store.close().catch(() => {});
      await redis?.stop();
    }
  });
});
