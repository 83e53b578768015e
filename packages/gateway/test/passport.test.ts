// Passports minted by the gateway (node:crypto Ed25519 / HMAC): verified by @edgepass/passport for the
// route's audience and refused for another service's, verified by plain jose against the admin JWKS,
// accepted by validatePassportClaims; cached per (credential, service) and renewed at half-life; never
// outliving the credential; HS256 mode; key rotation through the store reaches the gateway.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPassportVerifier, PassportError, validatePassportClaims } from '@edgepass/passport';
import { SigningKeyStore, type Store } from '@edgepass/store';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { ConfigError } from '../src/errors.ts';
import { passportClaims } from './support/assertions.ts';
import {
  eventually,
  MASTER_KEY,
  openMemoryStore,
  startTestGateway,
  type TestGateway,
  testConfig,
} from './support/gateway.ts';
import { TestIssuer } from './support/issuer.ts';
import { TestUpstream } from './support/upstream.ts';

const T0 = Date.UTC(2026, 6, 1, 8, 0, 0);
let clock = T0;
const now = () => clock;

let issuer: TestIssuer;
let upstream: TestUpstream;
let store: Store;

before(async () => {
  issuer = await TestIssuer.start({ now });
  upstream = await TestUpstream.start();
  store = await openMemoryStore();
});

after(async () => {
  await upstream?.close();
  await issuer?.down();
  await store?.close();
});

function config(extra: Parameters<typeof testConfig>[0] extends infer C ? Partial<C> : never = {}) {
  return testConfig({
    gateway: { id: 'https://gateway.edgepass.test' },
    issuers: [
      {
        id: 'idp',
        issuer: issuer.url,
        jwksUri: issuer.jwksUri,
        audiences: ['edgepass-api'],
        algorithms: ['ES256'],
        clockSkew: 0,
      },
    ],
    routes: [
      {
        name: 'vocab',
        match: { pathPrefix: '/vocab' },
        service: 'vocabulary',
        upstream: { targets: [upstream.url] },
        accept: ['access_token', 'anonymous'],
      },
      {
        name: 'users',
        match: { pathPrefix: '/users' },
        service: 'user-service',
        upstream: { targets: [upstream.url] },
        accept: ['access_token'],
      },
    ],
    ...extra,
  });
}

async function passportFrom(gw: TestGateway, path: string, token?: string): Promise<string> {
  const res = await fetch(gw.url(path), token ? { headers: { authorization: `Bearer ${token}` } } : {});
  assert.equal(res.status, 200);
  const passport = ((await res.json()) as { headers: Record<string, string> }).headers['x-passport'];
  assert.ok(passport);
  return passport;
}

describe('EdDSA passports', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(config(), { store, now });
  });
  after(async () => {
    await gw?.close();
  });

  test("verifies with @edgepass/passport for the route's service, refused for another service", async () => {
    const token = await issuer.mint(
      { sub: 'usr_bob', roles: ['member'], plan: 'premium', scope: 'a b', jti: 'j-1' },
      { alg: 'ES256' },
    );
    const passport = await passportFrom(gw, '/vocab/x', token);
    const jwksUrl = `${gw.gateway.adminUrl}/.well-known/passport-jwks.json`;
    const verifierNow = () => new Date(clock);
    const vocabulary = createPassportVerifier({
      issuer: 'https://gateway.edgepass.test',
      audience: 'vocabulary',
      jwksUrl,
      now: verifierNow,
    });
    const identity = await vocabulary.verify(passport);
    assert.equal(identity.sub, 'usr_bob');
    assert.equal(identity.kind, 'user');
    assert.equal(identity.via, 'access_token');
    assert.equal(identity.plan, 'premium');
    assert.equal(identity.src, `${issuer.url}#j-1`);
    assert.ok(identity.hasScope('b'));
    const users = createPassportVerifier({
      issuer: 'https://gateway.edgepass.test',
      audience: 'user-service',
      jwksUrl,
      now: verifierNow,
    });
    await assert.rejects(
      users.verify(passport),
      (err: unknown) => err instanceof PassportError && err.code === 'PASSPORT_WRONG_AUDIENCE',
    );
    // the user-service gets its own passport for the same credential
    assert.equal((await users.verify(await passportFrom(gw, '/users/x', token))).audience, 'user-service');
  });

  test('verifies with plain jose against the JWKS; validatePassportClaims accepts the claims', async () => {
    const passport = await passportFrom(gw, '/vocab/plain', await issuer.mint({}, { alg: 'ES256' }));
    const jwks = createRemoteJWKSet(new URL(`${gw.gateway.adminUrl}/.well-known/passport-jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(passport, jwks, {
      issuer: 'https://gateway.edgepass.test',
      audience: 'vocabulary',
      algorithms: ['EdDSA'],
      typ: 'passport+jwt',
      currentDate: new Date(clock),
    });
    assert.equal(protectedHeader.alg, 'EdDSA');
    assert.ok(protectedHeader.kid);
    const claims = validatePassportClaims(payload);
    assert.equal(claims.exp - claims.iat, 60, 'default ttl 60 s');
    assert.equal(claims.iat, T0 / 1000);
  });

  test('anonymous passports verify too', async () => {
    const passport = await passportFrom(gw, '/vocab/anon');
    const claims = validatePassportClaims(passportClaims(passport));
    assert.deepEqual([claims.kind, claims.via, claims.roles, claims.scope], ['anonymous', 'anonymous', [], '']);
  });

  test('cached per (credential, service): reused until half its lifetime, then renewed', async () => {
    const token = await issuer.mint({}, { alg: 'ES256', expiresIn: 3600 });
    const first = await passportFrom(gw, '/vocab/1', token);
    assert.equal(await passportFrom(gw, '/vocab/2', token), first, 'same credential, same service');
    assert.notEqual(await passportFrom(gw, '/users/1', token), first, 'another service');
    clock += 29_000;
    assert.equal(await passportFrom(gw, '/vocab/3', token), first, 'more than half the ttl left');
    clock += 2000;
    const renewed = await passportFrom(gw, '/vocab/4', token);
    assert.notEqual(renewed, first, 'renewed past half-life');
    const claims = passportClaims(renewed);
    assert.equal(claims.iat, (T0 + 31_000) / 1000);
    clock = T0;
  });

  test('a passport never outlives the credential', async () => {
    const token = await issuer.mint({}, { alg: 'ES256', expiresIn: 20 });
    const passport = await passportFrom(gw, '/vocab/short', token);
    const claims = passportClaims(passport);
    assert.equal(claims.exp, T0 / 1000 + 20);
  });

  test('key rotation (keys.changed) reaches the gateway: new kid signs, the JWKS lists both', async () => {
    const before = await passportFrom(gw, '/vocab/rot');
    const oldKid = decodeProtectedHeader(before).kid;
    const keys = await SigningKeyStore.open({ sql: store.sql, masterKey: MASTER_KEY, pubsub: store.fast.pubsub });
    try {
      await keys.stageNext('passport', 'EdDSA');
      const { activeKid } = await keys.promoteNext('passport', { retireAfterSec: 300 });
      assert.notEqual(activeKid, oldKid);
      await eventually(
        async () => decodeProtectedHeader(await passportFrom(gw, '/vocab/rot')).kid === activeKid,
        'the new key',
      );
      const jwks = (await (await fetch(`${gw.gateway.adminUrl}/.well-known/passport-jwks.json`)).json()) as {
        keys: Array<{ kid: string }>;
      };
      assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), [activeKid, oldKid].sort());
    } finally {
      await keys.close();
    }
  });
});

describe('HS256 passports', () => {
  const secret = 'an HS256 secret of at least thirty-two bytes!';

  test('verify with the shared secret; the JWKS publishes nothing', async () => {
    const gw = await startTestGateway(config({ passport: { alg: 'HS256', ttl: '30s' } }), {
      store,
      now,
      env: { EDGEPASS_PASSPORT_SECRET: secret },
    });
    try {
      const passport = await passportFrom(gw, '/vocab/hs', await issuer.mint({}, { alg: 'ES256' }));
      assert.equal(decodeProtectedHeader(passport).alg, 'HS256');
      const verifier = createPassportVerifier({
        issuer: 'https://gateway.edgepass.test',
        audience: 'vocabulary',
        key: new TextEncoder().encode(secret),
        algorithms: ['HS256'],
        now: () => new Date(clock),
      });
      const identity = await verifier.verify(passport);
      assert.equal(identity.expiresAt - identity.issuedAt, 30);
      const jwks = await (await fetch(`${gw.gateway.adminUrl}/.well-known/passport-jwks.json`)).json();
      assert.deepEqual(jwks, { keys: [] });
    } finally {
      await gw.close();
    }
  });

  test('HS256 without a long enough secret fails at start, naming passport.alg', async () => {
    await assert.rejects(
      startTestGateway(config({ passport: { alg: 'HS256' } }), {
        store,
        now,
        env: { EDGEPASS_PASSPORT_SECRET: 'short' },
      }),
      (err: unknown) => err instanceof ConfigError && err.issues[0]?.path === 'passport.alg',
    );
  });
});
