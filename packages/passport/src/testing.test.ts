import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixedClock, headerOf, NOW_S, payloadOf, rejectsWith } from '../test/support/craft.ts';
import { createTestPassportIssuer } from './testing.ts';
import { createPassportVerifier } from './verify.ts';

describe('createTestPassportIssuer', () => {
  test('EdDSA: passports it mints verify with verifierOptions(audience)', async () => {
    const issuer = await createTestPassportIssuer();
    assert.equal(issuer.alg, 'EdDSA');
    assert.equal(issuer.issuer, 'test-gateway');
    assert.ok(issuer.publicKey);
    assert.equal(issuer.secret, undefined);
    assert.deepEqual(
      issuer.jwks.keys.map((k) => [k.kid, k.alg, k.use, 'd' in k]),
      [[issuer.kid, 'EdDSA', 'sig', false]],
    );
    const verifier = createPassportVerifier({ ...issuer.verifierOptions('orders'), now: fixedClock });
    const identity = await verifier.verify(
      await issuer.mint({ audience: 'orders', scope: 'orders:read', now: fixedClock }),
    );
    assert.equal(identity.sub, 'test-user');
    assert.equal(identity.audience, 'orders');
    assert.equal(identity.hasScope('orders:read'), true);
    assert.equal(identity.issuedAt, NOW_S);
    await rejectsWith(verifier.verify(await issuer.mint({ now: fixedClock })), 'PASSPORT_WRONG_AUDIENCE');
  });

  test('HS256: a secret, no published keys, and the same mint/verifierOptions', async () => {
    const issuer = await createTestPassportIssuer({ alg: 'HS256', issuer: 'gw', audience: 'svc' });
    assert.equal(issuer.secret?.byteLength, 32);
    assert.equal(issuer.publicKey, undefined);
    assert.deepEqual(issuer.jwks.keys, []);
    const token = await issuer.mint({ sub: 'svc:a', kind: 'service', via: 'api_key', src: 'key:1', now: fixedClock });
    assert.equal(headerOf(token).alg, 'HS256');
    const identity = await createPassportVerifier({ ...issuer.verifierOptions(), now: fixedClock }).verify(token);
    assert.equal(identity.kind, 'service');
    assert.equal(identity.issuedAt, NOW_S);
  });

  test('overrides reach the passport; the defaults describe a plain user', async () => {
    const issuer = await createTestPassportIssuer();
    assert.deepEqual(payloadOf(await issuer.mint({ now: fixedClock })), {
      iss: 'test-gateway',
      aud: 'test-service',
      sub: 'test-user',
      kind: 'user',
      via: 'access_token',
      roles: [],
      scope: '',
      src: 'test-issuer#test',
      iat: NOW_S,
      exp: NOW_S + 60,
    });
    const custom = payloadOf(await issuer.mint({ issuer: 'other', ttlSeconds: 5, roles: ['a'], now: fixedClock }));
    assert.deepEqual([custom.iss, custom.exp, custom.roles], ['other', NOW_S + 5, ['a']]);
  });

  test('two issuers never trust each other', async () => {
    const a = await createTestPassportIssuer();
    const b = await createTestPassportIssuer();
    assert.notEqual(a.kid, b.kid);
    const verifier = createPassportVerifier({ ...a.verifierOptions(), now: fixedClock });
    assert.equal((await verifier.verify(await a.mint({ now: fixedClock }))).issuer, 'test-gateway');
    await rejectsWith(verifier.verify(await b.mint({ now: fixedClock })), 'PASSPORT_UNKNOWN_KID');
  });

  test('the JWKS is frozen and verifierOptions hands out a copy', async () => {
    const issuer = await createTestPassportIssuer();
    assert.equal(Object.isFrozen(issuer.jwks.keys[0]), true);
    assert.notEqual(issuer.verifierOptions().jwks, issuer.jwks);
  });

  test('an unknown alg is a TypeError', async () => {
    await assert.rejects(createTestPassportIssuer({ alg: 'RS256' as 'EdDSA' }), TypeError);
  });
});
