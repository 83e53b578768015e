import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { encode } from 'jose/base64url';
import {
  AUDIENCE,
  claims,
  craft,
  type EdKeys,
  edHeader,
  edKeys,
  fixedClock,
  ISSUER,
  KID,
  NOW,
  NOW_S,
  payloadOf,
  rejectsWith,
  replaceSegment,
  secret32,
} from '../test/support/craft.ts';
import { MAX_PASSPORT_BYTES, MAX_TTL_SECONDS } from './constants.ts';
import { mintPassport } from './mint.ts';
import { createPassportVerifier, type PassportVerifierOptions } from './verify.ts';

const input = {
  sub: 'user-1',
  kind: 'user',
  via: 'access_token',
  roles: ['editor'],
  scope: 'vocab:read vocab:write',
  plan: 'pro',
  tenant: 'acme',
  src: 'https://auth.example#jti-1',
} as const;

let keys: EdKeys;
let other: EdKeys;
let secret: Uint8Array<ArrayBuffer>;
const mintOptions = { issuer: ISSUER, audience: AUDIENCE, now: fixedClock };

before(async () => {
  keys = await edKeys();
  other = await edKeys('another-kid');
  secret = secret32();
});

function edVerifier(extra: Partial<PassportVerifierOptions> = {}) {
  return createPassportVerifier({ issuer: ISSUER, audience: AUDIENCE, key: keys.publicKey, now: fixedClock, ...extra });
}

function jwksVerifier(extra: Partial<PassportVerifierOptions> = {}) {
  return createPassportVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [keys.publicJwk, other.publicJwk] },
    now: fixedClock,
    ...extra,
  });
}

function hsVerifier(extra: Partial<PassportVerifierOptions> = {}) {
  return createPassportVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    key: secret,
    algorithms: ['HS256'],
    now: fixedClock,
    ...extra,
  });
}

const mintEd = (overrides: Partial<typeof mintOptions> & { ttlSeconds?: number } = {}) =>
  mintPassport(input, { kid: KID, key: keys.privateKey }, { ...mintOptions, ...overrides });

describe('round trip', () => {
  test('an EdDSA passport verifies against the public key and yields the identity', async () => {
    const identity = await edVerifier().verify(await mintEd());
    assert.equal(identity.sub, 'user-1');
    assert.equal(identity.kind, 'user');
    assert.equal(identity.via, 'access_token');
    assert.deepEqual(identity.roles, ['editor']);
    assert.deepEqual([...identity.scopes], ['vocab:read', 'vocab:write']);
    assert.equal(identity.scope, 'vocab:read vocab:write');
    assert.equal(identity.plan, 'pro');
    assert.equal(identity.tenant, 'acme');
    assert.equal(identity.src, 'https://auth.example#jti-1');
    assert.equal(identity.issuer, ISSUER);
    assert.equal(identity.audience, AUDIENCE);
    assert.equal(identity.issuedAt, NOW_S);
    assert.equal(identity.expiresAt, NOW_S + 60);
    assert.equal(identity.hasScope('vocab:read'), true);
    assert.equal(identity.hasScope('vocab'), false);
    assert.equal(identity.hasRole('editor'), true);
    assert.equal(identity.hasRole('admin'), false);
  });

  test('an EdDSA passport verifies against a JWKS holding several keys, selected by kid', async () => {
    const token = await mintPassport(input, { kid: 'another-kid', key: other.privateKey }, mintOptions);
    assert.equal((await jwksVerifier().verify(token)).sub, 'user-1');
    assert.equal((await jwksVerifier().verify(await mintEd())).sub, 'user-1');
  });

  test('an HS256 passport verifies against the shared secret', async () => {
    const token = await mintPassport(input, { kid: 'hs-1', key: secret }, mintOptions);
    const identity = await hsVerifier().verify(token);
    assert.equal(identity.sub, 'user-1');
    assert.deepEqual(identity.roles, ['editor']);
  });

  test('an identity is immutable, so one request cannot alter what the next one sees', async () => {
    const identity = await edVerifier().verify(await mintEd());
    assert.equal(Object.isFrozen(identity), true);
    assert.equal(Object.isFrozen(identity.roles), true);
    assert.throws(() => (identity.scopes as Set<string>).add('admin'), TypeError);
    assert.throws(() => (identity.scopes as Set<string>).delete('vocab:read'), TypeError);
    assert.throws(() => (identity.scopes as Set<string>).clear(), TypeError);
    assert.equal(identity.hasScope('vocab:read'), true);
  });

  test('an anonymous passport has no roles or scopes and no plan or tenant', async () => {
    const token = await mintPassport(
      { sub: 'anonymous', kind: 'anonymous', via: 'anonymous', src: 'ip:203.0.113.9' },
      { kid: KID, key: keys.privateKey },
      mintOptions,
    );
    const identity = await edVerifier().verify(token);
    assert.equal(identity.kind, 'anonymous');
    assert.equal(identity.scopes.size, 0);
    assert.deepEqual(identity.roles, []);
    assert.equal('plan' in identity, false);
    assert.equal('tenant' in identity, false);
  });
});

describe('issuer and audience', () => {
  test('a passport for another service is refused', async () => {
    const token = await mintEd({ audience: 'billing' });
    await rejectsWith(edVerifier().verify(token), 'PASSPORT_WRONG_AUDIENCE', 'aud');
    await rejectsWith(edVerifier({ audience: 'billing' }).verify(await mintEd()), 'PASSPORT_WRONG_AUDIENCE', 'aud');
  });

  test('an audience given as an array is refused even when it contains the service', async () => {
    const token = await craft(edHeader(), claims({ aud: [AUDIENCE, 'billing'] }), keys.privateKey);
    await rejectsWith(edVerifier().verify(token), 'PASSPORT_INVALID_CLAIMS', 'aud');
  });

  test('a passport from another issuer is refused', async () => {
    const token = await mintPassport(input, { kid: KID, key: keys.privateKey }, { ...mintOptions, issuer: 'gw-other' });
    await rejectsWith(edVerifier().verify(token), 'PASSPORT_WRONG_ISSUER', 'iss');
  });
});

describe('time', () => {
  test('an expired passport is refused; one within the clock tolerance is accepted', async () => {
    const expired = await mintEd({ now: () => new Date(NOW.getTime() - 70_000) });
    await rejectsWith(edVerifier().verify(expired), 'PASSPORT_EXPIRED', 'exp');
    const justExpired = await craft(edHeader(), claims({ iat: NOW_S - 60, exp: NOW_S - 4 }), keys.privateKey);
    assert.equal((await edVerifier().verify(justExpired)).expiresAt, NOW_S - 4);
    const atTolerance = await craft(edHeader(), claims({ iat: NOW_S - 60, exp: NOW_S - 5 }), keys.privateKey);
    await rejectsWith(edVerifier().verify(atTolerance), 'PASSPORT_EXPIRED');
    await rejectsWith(edVerifier({ clockToleranceSeconds: 0 }).verify(justExpired), 'PASSPORT_EXPIRED');
  });

  test('nbf in the future beyond the tolerance is refused', async () => {
    const early = await craft(edHeader(), claims({ nbf: NOW_S + 30 }), keys.privateKey);
    await rejectsWith(edVerifier().verify(early), 'PASSPORT_NOT_YET_VALID', 'nbf');
    const slightlyEarly = await craft(edHeader(), claims({ nbf: NOW_S + 5 }), keys.privateKey);
    assert.equal((await edVerifier().verify(slightlyEarly)).sub, 'user-1');
  });

  test('iat in the future beyond the tolerance is refused', async () => {
    const future = await mintEd({ now: () => new Date(NOW.getTime() + 30_000) });
    await rejectsWith(edVerifier().verify(future), 'PASSPORT_NOT_YET_VALID', 'iat');
    const withinTolerance = await mintEd({ now: () => new Date(NOW.getTime() + 5_000) });
    assert.equal((await edVerifier().verify(withinTolerance)).issuedAt, NOW_S + 5);
    await rejectsWith(edVerifier({ clockToleranceSeconds: 4 }).verify(withinTolerance), 'PASSPORT_NOT_YET_VALID');
  });

  test('a signed passport living longer than MAX_TTL_SECONDS is refused; one of exactly that verifies', async () => {
    const iat = NOW_S - 10;
    const year = await craft(edHeader(), claims({ iat, exp: iat + 365 * 86_400 }), keys.privateKey);
    const refusal = await rejectsWith(edVerifier().verify(year), 'PASSPORT_INVALID_CLAIMS', 'exp');
    assert.match(refusal.message, new RegExp(`at most ${MAX_TTL_SECONDS} s after iat`));
    const oneTooLong = await craft(edHeader(), claims({ iat, exp: iat + MAX_TTL_SECONDS + 1 }), keys.privateKey);
    await rejectsWith(edVerifier().verify(oneTooLong), 'PASSPORT_INVALID_CLAIMS', 'exp');
    const longest = await mintEd({ ttlSeconds: MAX_TTL_SECONDS });
    assert.equal((await edVerifier().verify(longest)).expiresAt, NOW_S + MAX_TTL_SECONDS);
  });
});

describe('integrity', () => {
  test('a tampered payload is refused', async () => {
    const token = await mintEd();
    const forged = replaceSegment(token, 1, { ...payloadOf(token), roles: ['admin'] });
    await rejectsWith(edVerifier().verify(forged), 'PASSPORT_BAD_SIGNATURE');
    await rejectsWith(jwksVerifier().verify(forged), 'PASSPORT_BAD_SIGNATURE');
  });

  test('a tampered header is refused', async () => {
    const token = await mintEd();
    const extraMember = replaceSegment(token, 0, edHeader({ cty: 'json' }));
    await rejectsWith(edVerifier().verify(extraMember), 'PASSPORT_BAD_SIGNATURE');
    const otherKid = replaceSegment(token, 0, edHeader({ kid: 'another-kid' }));
    await rejectsWith(jwksVerifier().verify(otherKid), 'PASSPORT_BAD_SIGNATURE');
  });

  test('a signature by another key is refused', async () => {
    const token = await mintPassport(input, { kid: KID, key: other.privateKey }, mintOptions);
    await rejectsWith(edVerifier().verify(token), 'PASSPORT_BAD_SIGNATURE');
    const hs = await mintPassport(input, { kid: 'hs-1', key: secret32() }, mintOptions);
    await rejectsWith(hsVerifier().verify(hs), 'PASSPORT_BAD_SIGNATURE');
  });

  test('a truncated or emptied signature is refused', async () => {
    const token = await mintEd();
    await rejectsWith(edVerifier().verify(token.slice(0, -4)), 'PASSPORT_BAD_SIGNATURE');
    await rejectsWith(edVerifier().verify(replaceSegment(token, 2, '')), 'PASSPORT_MALFORMED', 'signature');
  });
});

describe('algorithms', () => {
  test('alg none is refused', async () => {
    const header = encode(JSON.stringify({ alg: 'none', typ: 'passport+jwt', kid: KID }));
    const unsigned = `${header}.${encode(JSON.stringify(claims()))}.`;
    await rejectsWith(edVerifier().verify(unsigned), 'PASSPORT_ALG_NOT_ALLOWED', 'alg');
    await rejectsWith(jwksVerifier().verify(unsigned), 'PASSPORT_ALG_NOT_ALLOWED', 'alg');
    await rejectsWith(hsVerifier().verify(unsigned), 'PASSPORT_ALG_NOT_ALLOWED', 'alg');
  });

  test('a missing alg is refused', async () => {
    const token = await craft({ typ: 'passport+jwt', kid: KID }, claims(), keys.privateKey);
    await rejectsWith(edVerifier().verify(token), 'PASSPORT_ALG_NOT_ALLOWED', 'alg');
  });

  test('an HS256 token is refused by an EdDSA verifier, including HMAC keyed with the public key bytes', async () => {
    const jwkBytes = new TextEncoder().encode(JSON.stringify(keys.publicJwk));
    for (const hmacKey of [secret, keys.publicRaw, keys.publicSpki, jwkBytes]) {
      const token = await craft(edHeader({ alg: 'HS256' }), claims(), hmacKey);
      await rejectsWith(edVerifier().verify(token), 'PASSPORT_ALG_NOT_ALLOWED', 'alg');
      await rejectsWith(jwksVerifier().verify(token), 'PASSPORT_ALG_NOT_ALLOWED', 'alg');
    }
  });

  test('an EdDSA token is refused by an HS256 verifier', async () => {
    await rejectsWith(hsVerifier().verify(await mintEd()), 'PASSPORT_ALG_NOT_ALLOWED', 'alg');
  });

  test('other algorithms (RS256, ES256, Ed448-style names) are refused', async () => {
    for (const alg of ['RS256', 'ES256', 'Ed25519', 'HS512', 'eddsa']) {
      const token = await craft(edHeader({ alg }), claims(), keys.privateKey);
      await rejectsWith(edVerifier().verify(token), 'PASSPORT_ALG_NOT_ALLOWED', 'alg');
    }
  });
});

describe('keys', () => {
  test('a kid that is not in the JWKS is refused', async () => {
    const stranger = await edKeys('stranger');
    const token = await mintPassport(input, { kid: 'stranger', key: stranger.privateKey }, mintOptions);
    await rejectsWith(jwksVerifier().verify(token), 'PASSPORT_UNKNOWN_KID', 'kid');
  });

  test('a JWKS verifier requires a kid', async () => {
    const token = await craft(edHeader({ kid: undefined }), claims(), keys.privateKey);
    await rejectsWith(jwksVerifier().verify(token), 'PASSPORT_MALFORMED', 'kid');
    assert.equal((await edVerifier().verify(token)).sub, 'user-1', 'a single-key verifier does not need one');
    const numericKid = await craft(edHeader({ kid: 7 }), claims(), keys.privateKey);
    await rejectsWith(edVerifier().verify(numericKid), 'PASSPORT_MALFORMED', 'kid');
  });

  test('a JWK as the key works the same as a CryptoKey', async () => {
    const verifier = createPassportVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      key: keys.publicJwk,
      now: fixedClock,
    });
    assert.equal((await verifier.verify(await mintEd())).sub, 'user-1');
    assert.equal(Object.isFrozen(keys.publicJwk), false, "the caller's JWK is not frozen by jose");
  });
});

describe('shape', () => {
  test('an oversized passport is refused before parsing', async () => {
    await rejectsWith(edVerifier().verify('a'.repeat(MAX_PASSPORT_BYTES + 1)), 'PASSPORT_TOO_LARGE');
    const token = await mintEd();
    await rejectsWith(edVerifier({ maxTokenBytes: token.length - 1 }).verify(token), 'PASSPORT_TOO_LARGE');
    assert.equal((await edVerifier({ maxTokenBytes: token.length }).verify(token)).sub, 'user-1');
  });

  test('missing passports are PASSPORT_MISSING', async () => {
    for (const missing of [undefined, null, '']) await rejectsWith(edVerifier().verify(missing), 'PASSPORT_MISSING');
  });

  test('tokens without exactly three segments are malformed', async () => {
    const token = await mintEd();
    const [h, p, s] = token.split('.');
    for (const bad of [
      h,
      `${h}.${p}`,
      `${h}.${p}.${s}.${s}`,
      `${h}.${p}.${s}.`,
      'not a token',
      42 as unknown as string,
    ]) {
      await rejectsWith(edVerifier().verify(bad), 'PASSPORT_MALFORMED');
    }
  });

  test('segments that are not base64url are malformed', async () => {
    const token = await mintEd();
    await rejectsWith(edVerifier().verify(replaceSegment(token, 0, 'eyJ+bad/')), 'PASSPORT_MALFORMED', 'header');
    await rejectsWith(edVerifier().verify(replaceSegment(token, 0, 'abcde')), 'PASSPORT_MALFORMED', 'header');
    await rejectsWith(edVerifier().verify(replaceSegment(token, 1, 'eyJ=')), 'PASSPORT_MALFORMED', 'payload');
    await rejectsWith(edVerifier().verify(replaceSegment(token, 2, 'sig!')), 'PASSPORT_MALFORMED', 'signature');
    await rejectsWith(edVerifier().verify(`${token.slice(0, 10)} ${token.slice(10)}`), 'PASSPORT_MALFORMED');
    await rejectsWith(edVerifier().verify(`${token}, ${token}`), 'PASSPORT_MALFORMED');
  });

  test('a header that is not a JSON object is malformed', async () => {
    const token = await mintEd();
    await rejectsWith(edVerifier().verify(replaceSegment(token, 0, encode('{"alg":'))), 'PASSPORT_MALFORMED', 'header');
    await rejectsWith(edVerifier().verify(replaceSegment(token, 0, ['EdDSA'])), 'PASSPORT_MALFORMED', 'header');
    await rejectsWith(edVerifier().verify(replaceSegment(token, 0, encode('"x"'))), 'PASSPORT_MALFORMED', 'header');
    const latin1 = encode(new Uint8Array([0x7b, 0xff, 0x7d]));
    await rejectsWith(edVerifier().verify(replaceSegment(token, 0, latin1)), 'PASSPORT_MALFORMED', 'header');
  });

  test('a signed payload that is not JSON, or is a JSON array, is malformed', async () => {
    for (const payload of [encode('not json'), encode('[1,2]'), encode('"string"'), encode('null'), '_w']) {
      const token = await craft(edHeader(), payload, keys.privateKey);
      await rejectsWith(edVerifier().verify(token), 'PASSPORT_MALFORMED');
    }
  });

  test('the same payloads unsigned are refused by the signature check', async () => {
    const token = await mintEd();
    await rejectsWith(edVerifier().verify(replaceSegment(token, 1, [claims()])), 'PASSPORT_BAD_SIGNATURE');
  });

  test('a wrong or missing typ is refused', async () => {
    for (const typ of ['JWT', 'at+jwt', 'application/jwt', 'passport', undefined, 7]) {
      const token = await craft(edHeader({ typ }), claims(), keys.privateKey);
      await rejectsWith(edVerifier().verify(token), 'PASSPORT_WRONG_TYPE', 'typ');
    }
  });

  test('typ is compared as RFC 7515 says: case-insensitive, application/ prefix optional', async () => {
    for (const typ of ['application/passport+jwt', 'PASSPORT+JWT']) {
      const token = await craft(edHeader({ typ }), claims(), keys.privateKey);
      assert.equal((await edVerifier().verify(token)).sub, 'user-1');
    }
  });

  test('an unknown critical header parameter is refused', async () => {
    const token = await craft(edHeader({ crit: ['x-ext'], 'x-ext': 1 }), claims(), keys.privateKey);
    await rejectsWith(edVerifier().verify(token), 'PASSPORT_MALFORMED');
  });
});

describe('claims', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['kind outside the enum', { kind: 'admin' }, 'kind'],
    ['via outside the enum', { via: 'password' }, 'via'],
    ['kind anonymous via an access token', { kind: 'anonymous' }, 'kind'],
    ['kind user via anonymous', { via: 'anonymous' }, 'kind'],
    ['roles not an array', { roles: 'editor' }, 'roles'],
    ['roles not strings', { roles: ['editor', 7] }, 'roles'],
    ['roles missing', { roles: undefined }, 'roles'],
    ['scope not a string', { scope: ['vocab:read'] }, 'scope'],
    ['scope with a double space', { scope: 'a  b' }, 'scope'],
    ['scope with a quote', { scope: 'a"b' }, 'scope'],
    ['sub missing', { sub: undefined }, 'sub'],
    ['sub empty', { sub: '' }, 'sub'],
    ['sub a number', { sub: 42 }, 'sub'],
    ['src missing', { src: undefined }, 'src'],
    ['plan a number', { plan: 3 }, 'plan'],
    ['tenant empty', { tenant: '' }, 'tenant'],
    ['iss missing', { iss: undefined }, 'iss'],
    ['iat missing', { iat: undefined }, 'iat'],
    ['exp missing', { exp: undefined }, 'exp'],
    ['exp a string', { exp: String(NOW_S + 50) }, 'exp'],
    ['exp not after iat', { iat: NOW_S, exp: NOW_S }, 'exp'],
  ];
  for (const [name, overrides, claim] of cases) {
    test(`refused: ${name}`, async () => {
      const token = await craft(edHeader(), claims(overrides), keys.privateKey);
      await rejectsWith(edVerifier().verify(token), 'PASSPORT_INVALID_CLAIMS', claim);
    });
  }
});

describe('verified-passport cache', () => {
  test('the same string is verified once and answered from the cache until it expires', async () => {
    let now = NOW;
    const verifier = edVerifier({ now: () => now });
    const token = await mintEd();
    const first = await verifier.verify(token);
    assert.equal(await verifier.verify(token), first, 'a cache hit returns the same identity');
    now = new Date(NOW.getTime() + 64_000);
    assert.equal(await verifier.verify(token), first, 'still within exp + tolerance');
    now = new Date(NOW.getTime() + 65_000);
    await rejectsWith(verifier.verify(token), 'PASSPORT_EXPIRED');
  });

  test('a tampered or different string misses the cache', async () => {
    const verifier = edVerifier();
    const token = await mintEd();
    await verifier.verify(token);
    const forged = replaceSegment(token, 1, { ...payloadOf(token), sub: 'user-2' });
    await rejectsWith(verifier.verify(forged), 'PASSPORT_BAD_SIGNATURE');
    await rejectsWith(verifier.verify(`${token}A`), 'PASSPORT_BAD_SIGNATURE');
  });

  test('a verifier whose audience differs does not share the cache of another', async () => {
    const token = await mintEd();
    await edVerifier().verify(token);
    await rejectsWith(edVerifier({ audience: 'billing' }).verify(token), 'PASSPORT_WRONG_AUDIENCE');
  });

  test('the cache is bounded and forgets the least recently used passport', async () => {
    const verifier = edVerifier({ cacheSize: 2 });
    const tokens = await Promise.all([1, 2, 3].map((n) => mintEd({ ttlSeconds: 60 + n })));
    const a = await verifier.verify(tokens[0]);
    const b = await verifier.verify(tokens[1]);
    assert.equal(await verifier.verify(tokens[0]), a, 'a is now the most recently used');
    await verifier.verify(tokens[2]);
    assert.equal(await verifier.verify(tokens[0]), a, 'a survived');
    assert.notEqual(await verifier.verify(tokens[1]), b, 'b was evicted and verified again');
  });

  test('concurrent verifications of the same new string share one result', async () => {
    const verifier = edVerifier();
    const token = await mintEd();
    const identities = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)));
    assert.equal(new Set(identities).size, 1);
    const forged = `${token}A`;
    const refusals = await Promise.allSettled(Array.from({ length: 5 }, () => verifier.verify(forged)));
    assert.deepEqual(
      refusals.map((r) => r.status === 'rejected' && (r.reason as { code?: string }).code),
      Array(5).fill('PASSPORT_BAD_SIGNATURE'),
    );
    await rejectsWith(verifier.verify(forged), 'PASSPORT_BAD_SIGNATURE');
  });

  test('cacheSize 0 verifies every time', async () => {
    const verifier = edVerifier({ cacheSize: 0 });
    const token = await mintEd();
    assert.notEqual(await verifier.verify(token), await verifier.verify(token));
  });
});

describe('errors carry no token', () => {
  test('no refusal message or cause chain message contains the token or its segments', async () => {
    const token = await mintEd();
    const [, payload, signature] = token.split('.');
    const attempts = [
      () => edVerifier({ audience: 'billing' }).verify(token),
      () => edVerifier().verify(replaceSegment(token, 1, { ...payloadOf(token), sub: 'x' })),
      () => hsVerifier().verify(token),
      () => edVerifier().verify(token.replace('.', '..')),
    ];
    for (const attempt of attempts) {
      const err = await attempt().then(
        () => assert.fail('expected a refusal'),
        (e: unknown) => e as Error,
      );
      let current: unknown = err;
      while (current instanceof Error) {
        assert.equal(current.message.includes(payload) || current.message.includes(signature), false, current.message);
        current = current.cause;
      }
    }
  });
});

describe('options', () => {
  const base = { issuer: ISSUER, audience: AUDIENCE };
  test('exactly one key source is required', () => {
    assert.throws(() => createPassportVerifier(base as PassportVerifierOptions), TypeError);
    assert.throws(() => createPassportVerifier({ ...base, key: keys.publicKey, jwks: { keys: [] } }), TypeError);
    assert.throws(
      () => createPassportVerifier({ ...base, jwks: { keys: [] }, jwksUrl: 'http://127.0.0.1/' }),
      TypeError,
    );
  });

  test('the algorithm list must fit the key: HS256 for a secret, asymmetric for keys and key sets', () => {
    assert.throws(() => createPassportVerifier({ ...base, key: secret, algorithms: ['EdDSA'] }), TypeError);
    assert.throws(() => createPassportVerifier({ ...base, key: keys.publicKey, algorithms: ['HS256'] }), TypeError);
    assert.throws(() => createPassportVerifier({ ...base, jwks: { keys: [] }, algorithms: ['HS256'] }), TypeError);
    assert.throws(
      () => createPassportVerifier({ ...base, jwksUrl: 'https://gw.internal/jwks', algorithms: ['HS256'] }),
      TypeError,
    );
    assert.throws(() => createPassportVerifier({ ...base, key: keys.publicKey, algorithms: [] }), TypeError);
    assert.throws(
      () => createPassportVerifier({ ...base, key: keys.publicKey, algorithms: ['RS256' as 'EdDSA'] }),
      TypeError,
    );
  });

  test('a secret gets HS256 by default; a public key gets EdDSA', async () => {
    const hs = createPassportVerifier({ ...base, key: secret, now: fixedClock });
    assert.equal((await hs.verify(await mintPassport(input, { kid: 'h', key: secret }, mintOptions))).sub, 'user-1');
    const ed = createPassportVerifier({ ...base, key: keys.publicKey, now: fixedClock });
    assert.equal((await ed.verify(await mintEd())).sub, 'user-1');
  });

  test('unusable keys are refused at construction', async () => {
    assert.throws(() => createPassportVerifier({ ...base, key: keys.privateKey }), /private/);
    assert.throws(() => createPassportVerifier({ ...base, key: new Uint8Array(16) }), /at least 32 bytes/);
    assert.throws(
      () => createPassportVerifier({ ...base, jwks: { keys: [{ kty: 'oct', k: encode(secret) }] } }),
      TypeError,
    );
    const { privateKey } = await import('jose').then((j) => j.generateKeyPair('EdDSA', { extractable: true }));
    const privateJwk = await import('jose').then((j) => j.exportJWK(privateKey));
    assert.throws(() => createPassportVerifier({ ...base, jwks: { keys: [privateJwk] } }), /public/);
    assert.throws(() => createPassportVerifier({ ...base, key: { kty: 'RSA', n: 'x', e: 'AQAB' } }), TypeError);
    assert.throws(() => createPassportVerifier({ ...base, key: 'secret' as unknown as Uint8Array }), TypeError);
  });

  test('a key WebCrypto cannot import rejects with PASSPORT_KEYS_UNAVAILABLE, never a raw DOMException', async () => {
    // `x` of the wrong length passes the shape checks at construction; only the import fails.
    const broken = { ...keys.publicJwk, x: 'AAAA' };
    const token = await mintEd();
    for (const verifier of [
      createPassportVerifier({ ...base, jwks: { keys: [broken] }, now: fixedClock }),
      createPassportVerifier({ ...base, key: broken, now: fixedClock }),
    ]) {
      const refusal = await rejectsWith(verifier.verify(token), 'PASSPORT_KEYS_UNAVAILABLE');
      assert.equal((refusal.cause as Error).name, 'DataError', 'the WebCrypto error is kept as the cause');
    }
  });

  test('issuer, audience, tolerance, sizes and the JWKS URL are validated', () => {
    const key = keys.publicKey;
    assert.throws(() => createPassportVerifier({ ...base, key, issuer: '' }), TypeError);
    assert.throws(() => createPassportVerifier({ ...base, key, audience: undefined as unknown as string }), TypeError);
    assert.throws(() => createPassportVerifier({ ...base, key, clockToleranceSeconds: 61 }), TypeError);
    assert.throws(() => createPassportVerifier({ ...base, key, clockToleranceSeconds: -1 }), TypeError);
    assert.throws(() => createPassportVerifier({ ...base, key, clockToleranceSeconds: 1.5 }), TypeError);
    assert.doesNotThrow(() => createPassportVerifier({ ...base, key, clockToleranceSeconds: 60 }));
    assert.throws(() => createPassportVerifier({ ...base, key, maxTokenBytes: 0 }), TypeError);
    assert.throws(() => createPassportVerifier({ ...base, key, cacheSize: -1 }), TypeError);
    assert.throws(() => createPassportVerifier({ ...base, key, now: 5 as unknown as () => Date }), TypeError);
    assert.throws(() => createPassportVerifier({ ...base, jwksUrl: 'file:///etc/passwd' }), TypeError);
    assert.throws(() => createPassportVerifier({ ...base, jwksUrl: 'not a url' }), TypeError);
    assert.throws(() => createPassportVerifier({ ...base, jwksUrl: 'http://127.0.0.1/', jwksTimeoutMs: 0 }), TypeError);
  });
});
