import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import type { Principal } from '../authn/types.ts';
import { PassportCache } from './cache.ts';
import { PassportMinter } from './minter.ts';

const T = Date.UTC(2026, 0, 1);
const secret = new TextEncoder().encode('s'.repeat(32));
const minter = (kid: string) => new PassportMinter({ alg: 'HS256', kid, secret }, { issuer: 'gw', ttlMs: 60_000 });

const principal = (sub: string): Principal => ({
  sub,
  kind: 'user',
  via: 'access_token',
  roles: [],
  scope: '',
  scopes: new Set(),
  plan: undefined,
  tenant: undefined,
  src: 'idp#j',
  ref: `user:${sub}`,
  expiresAt: T + 3600_000,
  rateLimitPerMinute: undefined,
});

test('one passport per (principal, service), reused until half its lifetime, whatever other services are called', () => {
  const cache = new PassportCache();
  cache.use(minter('k1'));
  const alice = principal('alice');
  const a = cache.passportFor(alice, 'svc-a', T);
  assert.equal(cache.passportFor(alice, 'svc-a', T + 29_999), a, 'reused');
  const b = cache.passportFor(alice, 'svc-b', T + 1000);
  const c = cache.passportFor(alice, 'svc-c', T + 2000);
  assert.deepEqual(
    [b, c].map((p) => decodeJwt(p).aud),
    ['svc-b', 'svc-c'],
  );
  assert.equal(cache.passportFor(alice, 'svc-a', T + 3000), a, 'a second service does not push out the first');
  assert.equal(cache.passportFor(alice, 'svc-b', T + 3000), b);
  const renewed = cache.passportFor(alice, 'svc-a', T + 30_000);
  assert.notEqual(renewed, a, 'renewed at half of its 60 s');
  assert.equal(decodeJwt(renewed).iat, T / 1000 + 30);
});

test('a new signing key starts a fresh cache', () => {
  const cache = new PassportCache();
  cache.use(minter('k1'));
  const bob = principal('bob');
  const first = cache.passportFor(bob, 'svc', T);
  cache.use(minter('k2'));
  const second = cache.passportFor(bob, 'svc', T);
  assert.notEqual(second, first);
  assert.equal(cache.passportFor(bob, 'svc', T + 1), second);
});
