// Every way an access token can fail the service's own verifier (used by the JSON API and introspection),
// with a fixed clock, in-memory fast state for the denylist, and a real Redis that is stopped to show the
// verifier fails closed when the denylist cannot be read.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createMemoryFastState, type FastState, openFastState } from '@edgepass/store';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { startRedis } from '../../../../test/support/servers.ts';
import { AuthError } from '../errors.ts';
import { TokenDenylist } from './denylist.ts';
import { AccessTokenVerifier } from './verify.ts';

const ISSUER = 'https://auth.example.com';
const NOW = new Date('2031-01-01T12:00:00Z');
const nowSec = Math.floor(NOW.getTime() / 1000);

let signing: { privateKey: CryptoKey; jwk: JWK };
let other: { privateKey: CryptoKey; jwk: JWK };
let fast: FastState;
let published: JWK[];
let reloads = 0;

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

function verifier(denylist = new TokenDenylist({ fast, now: () => NOW })) {
  return new AccessTokenVerifier({
    issuer: () => ISSUER,
    audience: 'edgepass-api',
    jwks: () => ({ keys: published }),
    reloadKeys: async () => {
      reloads++;
    },
    denylist,
    now: () => NOW,
  });
}

function token(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key = signing) {
  const payload: Record<string, unknown> = {
    iss: ISSUER,
    aud: 'edgepass-api',
    sub: 'usr_1',
    jti: 'jti-1',
    iat: nowSec - 60,
    exp: nowSec + 540,
    client_id: 'web',
    scope: 'a b',
    roles: ['admin'],
    plan: 'premium',
    ...claims,
  };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.jwk.kid, ...header })
    .sign(key.privateKey);
}

async function refusedFor(reason: string, tokenValue: string | Promise<string>, v = verifier()): Promise<void> {
  await assert.rejects(v.verify(await tokenValue), (err: unknown) => {
    assert.ok(err instanceof AuthError);
    assert.equal(err.code, 'AUTH_INVALID_TOKEN');
    assert.equal(err.reason, reason);
    return true;
  });
}

before(async () => {
  signing = await keyPair('k1');
  other = await keyPair('k2');
  published = [signing.jwk];
  fast = createMemoryFastState({ now: () => NOW.getTime() });
});

after(async () => {
  await fast.close();
});

describe('AccessTokenVerifier', () => {
  test('a good token becomes a principal', async () => {
    const principal = await verifier().verify(await token());
    assert.deepEqual(
      { ...principal, scopes: [...principal.scopes] },
      {
        sub: 'usr_1',
        clientId: 'web',
        scopes: ['a', 'b'],
        roles: ['admin'],
        plan: 'premium',
        jti: 'jti-1',
      },
    );
  });

  test('expired, not yet valid, wrong issuer, wrong audience, wrong typ', async () => {
    await refusedFor('token_expired', token({ exp: nowSec - 10 }));
    await refusedFor('claim_nbf_invalid', token({ nbf: nowSec + 60 }));
    await refusedFor('claim_iss_invalid', token({ iss: 'https://evil.example' }));
    await refusedFor('claim_aud_invalid', token({ aud: 'another-api' }));
    await refusedFor('claim_typ_invalid', token({}, { typ: 'JWT' }));
    await refusedFor('claim_jti_invalid', token({ jti: undefined }));
    await refusedFor('claim_sub_invalid', token({ sub: undefined }));
  });

  test('a bad signature, garbage, alg none/HS256 are refused', async () => {
    const good = await token();
    const [h, p] = good.split('.');
    await refusedFor('signature_invalid', `${h}.${p}.${Buffer.alloc(64).toString('base64url')}`);
    await refusedFor('token_malformed', 'not.a.jwt');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: 'k1' })).toString('base64url')}.${p}.`;
    await refusedFor('alg_not_allowed', none);
    const hs = await new SignJWT({ sub: 'usr_1' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })
      .sign(new TextEncoder().encode('x'.repeat(32)));
    await refusedFor('alg_not_allowed', hs);
  });

  test('an unknown kid reloads the keys once, then verifies when the key was published meanwhile', async () => {
    const before = reloads;
    await refusedFor('kid_unknown', token({}, {}, other));
    assert.equal(reloads, before + 1, 'exactly one reload per verification');
    const v = new AccessTokenVerifier({
      issuer: () => ISSUER,
      audience: 'edgepass-api',
      jwks: () => ({ keys: published }),
      reloadKeys: async () => {
        published = [signing.jwk, other.jwk];
      },
      denylist: new TokenDenylist({ fast, now: () => NOW }),
      now: () => NOW,
    });
    try {
      assert.equal((await v.verify(await token({}, {}, other))).sub, 'usr_1');
    } finally {
      published = [signing.jwk];
    }
  });

  test('a denylisted jti is refused; the deny entry lasts until exp', async () => {
    const denylist = new TokenDenylist({ fast, now: () => NOW });
    const t = await token({ jti: 'jti-deny' });
    assert.equal((await verifier(denylist).verify(t)).jti, 'jti-deny');
    assert.equal(await denylist.deny({ jti: 'jti-deny', exp: nowSec + 540 }), true);
    assert.equal(await fast.kv.ttl('deny:jti:jti-deny'), 540_000);
    await refusedFor('token_revoked', t, verifier(denylist));
    assert.equal(await denylist.deny({ jti: 'old', exp: nowSec - 1 }), false, 'nothing to deny after exp');
  });

  test('Redis down: the verifier fails closed with AUTH_UNAVAILABLE', async () => {
    const redis = await startRedis();
    const remote = await openFastState({ redisUrl: redis.url, keyPrefix: 'verify-test:' });
    try {
      const v = verifier(new TokenDenylist({ fast: remote, now: () => NOW }));
      assert.equal((await v.verify(await token())).sub, 'usr_1');
      await redis.stop();
      await assert.rejects(
        v.verify(await token()),
        (err: unknown) => err instanceof AuthError && err.code === 'AUTH_UNAVAILABLE',
      );
    } finally {
      await remote.close().catch(() => {});
      await redis.stop().catch(() => {});
    }
  });
});
