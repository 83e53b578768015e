import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { exportJWK } from 'jose';
import {
  AUDIENCE,
  type EdKeys,
  edKeys,
  fixedClock,
  headerOf,
  ISSUER,
  NOW_S,
  payloadOf,
  secret32,
} from '../test/support/craft.ts';
import type { PassportInput } from './claims.ts';
import { MAX_PASSPORT_BYTES, MAX_TTL_SECONDS } from './constants.ts';
import { mintPassport } from './mint.ts';

const input: PassportInput = { sub: 'user-1', kind: 'user', via: 'session', src: 'session:s-1' };
const options = { issuer: ISSUER, audience: AUDIENCE, now: fixedClock };
let keys: EdKeys;

before(async () => {
  keys = await edKeys();
});

describe('mintPassport', () => {
  test('sets the header (typ, alg, kid) and the registered claims with the default ttl of 60 s', async () => {
    const token = await mintPassport(input, { kid: 'k1', key: keys.privateKey }, options);
    assert.deepEqual(headerOf(token), { alg: 'EdDSA', typ: 'passport+jwt', kid: 'k1' });
    assert.deepEqual(payloadOf(token), {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'user-1',
      kind: 'user',
      via: 'session',
      roles: [],
      scope: '',
      src: 'session:s-1',
      iat: NOW_S,
      exp: NOW_S + 60,
    });
  });

  test('the input cannot override iss, aud, iat, exp, nbf, jti or the header', async () => {
    const hostile = {
      ...input,
      iss: 'evil',
      aud: 'billing',
      iat: 1,
      exp: 9_999_999_999,
      nbf: 0,
      jti: 'x',
      typ: 'JWT',
      kid: 'evil',
      alg: 'none',
    };
    const token = await mintPassport(hostile as PassportInput, { kid: 'k1', key: keys.privateKey }, options);
    const payload = payloadOf(token);
    assert.equal(payload.iss, ISSUER);
    assert.equal(payload.aud, AUDIENCE);
    assert.equal(payload.iat, NOW_S);
    assert.equal(payload.exp, NOW_S + 60);
    assert.equal('nbf' in payload || 'jti' in payload || 'typ' in payload || 'alg' in payload, false);
    assert.deepEqual(headerOf(token), { alg: 'EdDSA', typ: 'passport+jwt', kid: 'k1' });
  });

  test('scope may be given as a list; ttl, plan and tenant are honoured', async () => {
    const token = await mintPassport(
      { ...input, scope: ['a:read', 'b:write'], roles: ['r'], plan: 'pro', tenant: 't1' },
      { kid: 'k1', key: keys.privateKey },
      { ...options, ttlSeconds: 120 },
    );
    const payload = payloadOf(token);
    assert.equal(payload.scope, 'a:read b:write');
    assert.deepEqual(payload.roles, ['r']);
    assert.equal(payload.plan, 'pro');
    assert.equal(payload.tenant, 't1');
    assert.equal(payload.exp, NOW_S + 120);
  });

  test('HS256 with a secret (bytes or oct JWK), EdDSA with a private JWK', async () => {
    const secret = secret32();
    assert.equal(headerOf(await mintPassport(input, { kid: 'h', key: secret }, options)).alg, 'HS256');
    const oct = { kty: 'oct', k: Buffer.from(secret).toString('base64url') };
    assert.equal(headerOf(await mintPassport(input, { kid: 'h', key: oct, alg: 'HS256' }, options)).alg, 'HS256');
    const privateJwk = await exportJWK(keys.privateKey);
    assert.equal(headerOf(await mintPassport(input, { kid: 'e', key: privateJwk }, options)).alg, 'EdDSA');
  });

  test('bad input is caller misuse: TypeError naming the claim', async () => {
    const key = { kid: 'k1', key: keys.privateKey };
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ kind: 'admin' }, /"kind"/],
      [{ via: 'password' }, /"via"/],
      [{ sub: '' }, /"sub"/],
      [{ src: undefined }, /"src"/],
      [{ roles: ['ok', ''] }, /"roles"/],
      [{ scope: 'two  spaces' }, /"scope"/],
      [{ kind: 'anonymous' }, /"kind"/],
    ];
    for (const [overrides, message] of bad) {
      await assert.rejects(mintPassport({ ...input, ...overrides } as PassportInput, key, options), (e: unknown) => {
        assert.ok(e instanceof TypeError);
        assert.match(e.message, message);
        return true;
      });
    }
    await assert.rejects(mintPassport(null as unknown as PassportInput, key, options), TypeError);
  });

  test('bad keys and options are TypeErrors', async () => {
    const cases: Array<Promise<string>> = [
      mintPassport(input, { kid: 'k1', key: keys.publicKey }, options),
      mintPassport(input, { kid: '', key: keys.privateKey }, options),
      mintPassport(input, { kid: 'k1', key: keys.privateKey, alg: 'HS256' }, options),
      mintPassport(input, { kid: 'k1', key: new Uint8Array(31) }, options),
      mintPassport(input, { kid: 'k1', key: keys.privateKey }, { ...options, issuer: '' }),
      mintPassport(
        input,
        { kid: 'k1', key: keys.privateKey },
        { ...options, audience: undefined as unknown as string },
      ),
      mintPassport(input, { kid: 'k1', key: keys.privateKey }, { ...options, ttlSeconds: 0 }),
      mintPassport(input, { kid: 'k1', key: keys.privateKey }, { ...options, ttlSeconds: MAX_TTL_SECONDS + 1 }),
      mintPassport(input, { kid: 'k1', key: keys.privateKey }, { ...options, ttlSeconds: 1.5 }),
    ];
    for (const attempt of cases) await assert.rejects(attempt, TypeError);
  });

  test('a passport that would exceed MAX_PASSPORT_BYTES is not minted', async () => {
    const roles = Array.from({ length: 800 }, (_, i) => `role-${i}`);
    await assert.rejects(
      mintPassport({ ...input, roles }, { kid: 'k1', key: keys.privateKey }, options),
      new RegExp(`exceeds ${MAX_PASSPORT_BYTES} bytes`),
    );
  });
});
