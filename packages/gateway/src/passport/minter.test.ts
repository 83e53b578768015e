import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { validatePassportClaims } from '@edgepass/passport';
import { jwtVerify } from 'jose';
import type { Principal } from '../authn/types.ts';
import { PassportMinter } from './minter.ts';

const principal = (expiresAt: number): Principal => ({
  sub: 'usr_1',
  kind: 'user',
  via: 'access_token',
  roles: ['member'],
  scope: 'a b',
  scopes: new Set(['a', 'b']),
  plan: 'free',
  tenant: undefined,
  src: 'https://idp#j1',
  ref: 'user:usr_1',
  expiresAt,
  rateLimitPerMinute: undefined,
});

const T = Date.UTC(2026, 0, 1);

test('an Ed25519 passport verifies with jose; its claims pass validatePassportClaims', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const minter = new PassportMinter({ alg: 'EdDSA', kid: 'k1', privateKey }, { issuer: 'gw', ttlMs: 60_000 });
  const minted = minter.mint(principal(T + 3600_000), 'svc', T);
  assert.ok(minted);
  const { payload, protectedHeader } = await jwtVerify(minted.token, publicKey, {
    issuer: 'gw',
    audience: 'svc',
    algorithms: ['EdDSA'],
    typ: 'passport+jwt',
    currentDate: new Date(T),
  });
  assert.deepEqual(protectedHeader, { alg: 'EdDSA', typ: 'passport+jwt', kid: 'k1' });
  const claims = validatePassportClaims(payload);
  assert.deepEqual(claims, {
    iss: 'gw',
    aud: 'svc',
    sub: 'usr_1',
    kind: 'user',
    via: 'access_token',
    roles: ['member'],
    scope: 'a b',
    plan: 'free',
    src: 'https://idp#j1',
    iat: T / 1000,
    exp: T / 1000 + 60,
  });
});

test('exp = min(now + ttl, credential expiry); nothing is minted for a credential about to expire', async () => {
  const secret = new TextEncoder().encode('x'.repeat(32));
  const minter = new PassportMinter({ alg: 'HS256', kid: 'h', secret }, { issuer: 'gw', ttlMs: 60_000 });
  const minted = minter.mint(principal(T + 20_000), 'svc', T);
  assert.equal(minted?.exp, T / 1000 + 20);
  const { payload } = await jwtVerify(minted?.token ?? '', secret, { algorithms: ['HS256'], currentDate: new Date(T) });
  assert.equal(payload.exp, T / 1000 + 20);
  assert.equal(minter.mint(principal(T + 500), 'svc', T), null);
});
