// Interop: a passport minted here verifies with plain jose (jwtVerify against the JWKS) and with Python's
// PyJWT (examples/passport-interop/verify_passport.py, run by /usr/bin/python3 with python3-jwt), and both
// refuse what they must. These run against the real clock: PyJWT has no injectable one.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, errors, jwtVerify } from 'jose';
import { encode } from 'jose/base64url';
import { runPython } from '../../../test/support/python.ts';
import { createTestPassportIssuer, type TestPassportIssuer } from '../src/testing.ts';
import { payloadOf, replaceSegment } from './support/craft.ts';

const SCRIPT = fileURLToPath(new URL('../../../examples/passport-interop/verify_passport.py', import.meta.url));
const AUDIENCE = 'vocabulary';
const ISSUER = 'gw-interop';

interface PythonAnswer {
  ok: boolean;
  error?: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

async function pyjwtVerify(request: Record<string, unknown>): Promise<{ exit: number | null; answer: PythonAnswer }> {
  const { code, stdout, stderr } = await runPython([SCRIPT], {
    env: { PATH: '/usr/bin:/bin' },
    input: JSON.stringify(request),
  });
  try {
    return { exit: code, answer: JSON.parse(stdout) };
  } catch {
    throw new Error(`python answered ${JSON.stringify(stdout)} (exit ${code}): ${stderr}`);
  }
}

const input = {
  sub: 'user-42',
  roles: ['editor'],
  scope: 'vocab:read vocab:write',
  plan: 'pro',
  tenant: 'acme',
  src: 'https://auth.example#jti-42',
};

describe('interop', () => {
  let ed: TestPassportIssuer;
  let hs: TestPassportIssuer;

  before(async () => {
    ed = await createTestPassportIssuer({ issuer: ISSUER, audience: AUDIENCE });
    hs = await createTestPassportIssuer({ issuer: ISSUER, audience: AUDIENCE, alg: 'HS256' });
  });

  const edRequest = (token: string, overrides: Record<string, unknown> = {}) => ({
    token,
    jwk: ed.jwks.keys[0],
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['EdDSA'],
    ...overrides,
  });

  test('plain jose verifies an EdDSA passport against the published JWKS', async () => {
    const token = await ed.mint(input);
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(ed.jwks), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['EdDSA'],
      typ: 'passport+jwt',
    });
    assert.deepEqual(protectedHeader, { alg: 'EdDSA', typ: 'passport+jwt', kid: ed.kid });
    assert.equal(payload.sub, 'user-42');
    assert.equal(payload.kind, 'user');
    assert.deepEqual(payload.roles, ['editor']);
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 60);
    await assert.rejects(
      jwtVerify(token, createLocalJWKSet(ed.jwks), { issuer: ISSUER, audience: 'billing', algorithms: ['EdDSA'] }),
      errors.JWTClaimValidationFailed,
    );
  });

  test('PyJWT verifies an EdDSA passport (OKPAlgorithm.from_jwk) with audience and issuer', async () => {
    const token = await ed.mint(input);
    const { exit, answer } = await pyjwtVerify(edRequest(token));
    assert.equal(exit, 0, JSON.stringify(answer));
    assert.deepEqual(answer.header, { alg: 'EdDSA', typ: 'passport+jwt', kid: ed.kid });
    assert.deepEqual(answer.claims, payloadOf(token));
    assert.equal(answer.claims?.scope, 'vocab:read vocab:write');
  });

  test('PyJWT refuses a passport for another audience, another issuer, or a tampered one', async () => {
    const token = await ed.mint(input);
    const wrongAudience = await pyjwtVerify(edRequest(token, { audience: 'billing' }));
    assert.deepEqual([wrongAudience.exit, wrongAudience.answer], [1, { ok: false, error: 'InvalidAudienceError' }]);
    const wrongIssuer = await pyjwtVerify(edRequest(token, { issuer: 'gw-other' }));
    assert.deepEqual([wrongIssuer.exit, wrongIssuer.answer], [1, { ok: false, error: 'InvalidIssuerError' }]);
    const forged = replaceSegment(token, 1, { ...payloadOf(token), roles: ['admin'] });
    const tampered = await pyjwtVerify(edRequest(forged));
    assert.deepEqual([tampered.exit, tampered.answer], [1, { ok: false, error: 'InvalidSignatureError' }]);
  });

  test('PyJWT refuses an expired passport', async () => {
    const token = await ed.mint({ ...input, now: () => new Date(Date.now() - 3_600_000) });
    const { exit, answer } = await pyjwtVerify(edRequest(token));
    assert.deepEqual([exit, answer], [1, { ok: false, error: 'ExpiredSignatureError' }]);
  });

  test('PyJWT verifies an HS256 passport with the shared secret and refuses it as EdDSA', async () => {
    const token = await hs.mint(input);
    const secret = hs.secret ?? assert.fail('an HS256 issuer has a secret');
    const jwk = { kty: 'oct', k: encode(secret) };
    const { exit, answer } = await pyjwtVerify({ ...edRequest(token), jwk, algorithms: ['HS256'] });
    assert.equal(exit, 0, JSON.stringify(answer));
    assert.equal(answer.claims?.sub, 'user-42');
    const confused = await pyjwtVerify(edRequest(token));
    assert.deepEqual([confused.exit, confused.answer], [1, { ok: false, error: 'InvalidAlgorithmError' }]);
  });
});
