// The jwksUrl key source against a real JWKS server on 127.0.0.1:0: one refetch for an unknown kid,
// cooldown, rotation, stale keys while the server is down, and 503 when nothing was ever fetched.
// jose times its cache and cooldown with Date.now(), so those tests mock Date (and only Date).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, beforeEach, describe, mock, test } from 'node:test';
import { errors, exportJWK } from 'jose';
import { freePort } from '../../../test/support/servers.ts';
import { mintPassport } from '../src/mint.ts';
import { createPassportVerifier, type PassportVerifierOptions } from '../src/verify.ts';
import { listen, type RunningApp } from './support/adapter-suite.ts';
import { AUDIENCE, type EdKeys, edKeys, fixedClock, ISSUER, rejectsWith } from './support/craft.ts';

interface JwksState {
  status: number;
  body: string;
  hang: boolean;
  fetches: number;
}

const state: JwksState = { status: 200, body: '{"keys":[]}', hang: false, fetches: 0 };
let server: RunningApp;
let current: EdKeys;
let next: EdKeys;
let stranger: EdKeys;

function publish(...keys: EdKeys[]): void {
  state.status = 200;
  state.body = JSON.stringify({ keys: keys.map((k) => ({ ...k.publicJwk, alg: 'EdDSA', use: 'sig' })) });
}

before(async () => {
  [current, next, stranger] = await Promise.all([edKeys('k-current'), edKeys('k-next'), edKeys('k-stranger')]);
  server = await listen(
    createServer((req, res) => {
      if (req.url !== '/.well-known/passport-jwks.json') {
        res.writeHead(404).end();
        return;
      }
      state.fetches += 1;
      if (state.hang) return;
      res.writeHead(state.status, { 'content-type': 'application/json' }).end(state.body);
    }),
  );
});

after(async () => {
  await server.close();
});

beforeEach(() => {
  state.hang = false;
  state.fetches = 0;
  publish(current);
});

let serial = 0;
/** A fresh passport string each time (the verifier caches by string), signed by `keys`. */
function passport(keys: EdKeys): Promise<string> {
  serial += 1;
  return mintPassport(
    { sub: `user-${serial}`, kind: 'user', via: 'access_token', src: `idp#${serial}` },
    { kid: keys.publicJwk.kid, key: keys.privateKey },
    { issuer: ISSUER, audience: AUDIENCE, now: fixedClock },
  );
}

function verifier(extra: Partial<PassportVerifierOptions> = {}) {
  return createPassportVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: `${server.url}/.well-known/passport-jwks.json`,
    now: fixedClock,
    ...extra,
  });
}

function withMockedDate(run: () => Promise<void>): () => Promise<void> {
  return async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      await run();
    } finally {
      mock.timers.reset();
    }
  };
}

describe('jwksUrl key source', () => {
  test('the key set is fetched once and then served from the cache', async () => {
    const v = verifier();
    for (let i = 0; i < 5; i++) assert.match((await v.verify(await passport(current))).sub, /^user-/);
    assert.equal(state.fetches, 1);
  });

  test('an unknown kid triggers exactly one refetch, then is refused', async () => {
    const v = verifier({ jwksCooldownMs: 0 });
    await v.verify(await passport(current));
    assert.equal(state.fetches, 1);
    await rejectsWith(v.verify(await passport(stranger)), 'PASSPORT_UNKNOWN_KID', 'kid');
    assert.equal(state.fetches, 2, 'one refetch for the unknown kid');
  });

  test(
    'refetches for unknown kids are rate-limited by the cooldown',
    withMockedDate(async () => {
      const v = verifier({ jwksCooldownMs: 30_000 });
      await v.verify(await passport(current));
      for (let i = 0; i < 3; i++) await rejectsWith(v.verify(await passport(stranger)), 'PASSPORT_UNKNOWN_KID');
      assert.equal(state.fetches, 1, 'no refetch within the cooldown');
      mock.timers.tick(30_001);
      await rejectsWith(v.verify(await passport(stranger)), 'PASSPORT_UNKNOWN_KID');
      assert.equal(state.fetches, 2, 'one refetch once the cooldown has passed');
    }),
  );

  test(
    'a rotated-in key is picked up by the refetch an unknown kid triggers',
    withMockedDate(async () => {
      const v = verifier({ jwksCooldownMs: 30_000 });
      await v.verify(await passport(current));
      publish(current, next);
      const rotated = await passport(next);
      await rejectsWith(v.verify(rotated), 'PASSPORT_UNKNOWN_KID', 'kid');
      assert.equal(state.fetches, 1, 'a key published less than one cooldown ago is not fetched yet');
      mock.timers.tick(30_001);
      assert.match((await v.verify(rotated)).sub, /^user-/);
      assert.equal(state.fetches, 2);
      assert.match((await v.verify(await passport(current))).sub, /^user-/, 'the old key still verifies (overlap)');
      assert.equal(state.fetches, 2);
    }),
  );

  test(
    'stale keys keep answering while the JWKS is down; fetching is retried once per cooldown',
    withMockedDate(async () => {
      const v = verifier({ jwksCooldownMs: 30_000, jwksCacheMaxAgeMs: 60_000 });
      await v.verify(await passport(current));
      state.status = 500;
      mock.timers.tick(60_001);
      assert.match((await v.verify(await passport(current))).sub, /^user-/, 'served from the stale set');
      assert.equal(state.fetches, 2, 'one failed refresh');
      await v.verify(await passport(current));
      assert.equal(state.fetches, 2, 'no new attempt within the cooldown');
      await rejectsWith(v.verify(await passport(stranger)), 'PASSPORT_UNKNOWN_KID');
      mock.timers.tick(30_001);
      publish(current, next);
      assert.match((await v.verify(await passport(next))).sub, /^user-/, 'recovered, with the new key');
      assert.equal(state.fetches, 3);
    }),
  );

  test('nothing fetched yet and the JWKS unreachable: PASSPORT_KEYS_UNAVAILABLE', async () => {
    const port = await freePort();
    const v = createPassportVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: `http://127.0.0.1:${port}/.well-known/passport-jwks.json`,
      now: fixedClock,
    });
    await rejectsWith(v.verify(await passport(current)), 'PASSPORT_KEYS_UNAVAILABLE');
  });

  test('an error status, a non-JSON body or a non-key-set body: PASSPORT_KEYS_UNAVAILABLE', async () => {
    for (const [status, body] of [
      [503, '{"keys":[]}'],
      [200, '<html>gateway</html>'],
      [200, '{"keys":"none"}'],
      [200, '[]'],
    ] as const) {
      state.status = status;
      state.body = body;
      await rejectsWith(verifier().verify(await passport(current)), 'PASSPORT_KEYS_UNAVAILABLE');
    }
  });

  // jose times the fetch with AbortSignal.timeout, which mock.timers does not drive: the timeout is the
  // smallest allowed, and the test's own deadline (far below the 5 s default) fails it if it is not applied.
  test('a JWKS that never answers times out: PASSPORT_KEYS_UNAVAILABLE', { timeout: 3_000 }, async () => {
    state.hang = true;
    const refusal = await rejectsWith(
      verifier({ jwksTimeoutMs: 1 }).verify(await passport(current)),
      'PASSPORT_KEYS_UNAVAILABLE',
    );
    assert.ok(refusal.cause instanceof errors.JWKSTimeout, `cause: ${String(refusal.cause)}`);
  });

  test('a published key WebCrypto cannot import: PASSPORT_KEYS_UNAVAILABLE, never a raw DOMException', async () => {
    state.body = JSON.stringify({ keys: [{ ...current.publicJwk, x: 'AAAA', alg: 'EdDSA', use: 'sig' }] });
    const refusal = await rejectsWith(verifier().verify(await passport(current)), 'PASSPORT_KEYS_UNAVAILABLE');
    assert.equal((refusal.cause as Error).name, 'DataError');
  });

  test('a JWKS member carrying private key material is never used', async () => {
    const privateJwk = { ...(await exportJWK(current.privateKey)), kid: 'k-current', alg: 'EdDSA' };
    state.body = JSON.stringify({ keys: [privateJwk] });
    await rejectsWith(verifier().verify(await passport(current)), 'PASSPORT_KEYS_UNAVAILABLE');
  });

  test('an oct member with the passport kid cannot be used to verify (JWKS: asymmetric only)', async () => {
    state.body = JSON.stringify({
      keys: [{ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'k-current' }],
    });
    await rejectsWith(verifier().verify(await passport(current)), 'PASSPORT_UNKNOWN_KID');
  });
});
