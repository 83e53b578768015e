// The package's public surface, imported by name through its exports map as a service would.
import assert from 'node:assert/strict';
import { test } from 'node:test';

const expected: Record<string, string[]> = {
  '@edgepass/passport': [
    'DEFAULT_CLOCK_TOLERANCE_SECONDS',
    'DEFAULT_TTL_SECONDS',
    'MAX_CLOCK_TOLERANCE_SECONDS',
    'MAX_PASSPORT_BYTES',
    'MAX_TTL_SECONDS',
    'PASSPORT_ENV',
    'PASSPORT_ERROR_CODES',
    'PASSPORT_HEADER',
    'PASSPORT_JWKS_PATH',
    'PASSPORT_KINDS',
    'PASSPORT_TYP',
    'PASSPORT_VIA',
    'PassportError',
    'createPassportVerifier',
    'exportPassportJwk',
    'mintPassport',
    'validatePassportClaims',
    'verifierOptionsFromEnv',
  ],
  '@edgepass/passport/testing': ['createTestPassportIssuer'],
  '@edgepass/passport/fastify': ['fastifyPassport', 'optionalIdentity', 'requireKind', 'requireRole', 'requireScope'],
  '@edgepass/passport/express': ['passport', 'requireKind', 'requireRole', 'requireScope'],
  '@edgepass/passport/hono': ['passport', 'requireKind', 'requireRole', 'requireScope'],
  '@edgepass/passport/node': ['createAuthenticator', 'requireKind', 'requireRole', 'requireScope', 'sendProblem'],
};

test('each subpath exports exactly its documented names', async () => {
  for (const [specifier, names] of Object.entries(expected)) {
    const module: Record<string, unknown> = await import(specifier);
    assert.deepEqual(Object.keys(module).sort(), [...names].sort(), specifier);
  }
});

test('the constants have the contract values', async () => {
  const passport = await import('@edgepass/passport');
  assert.equal(passport.PASSPORT_HEADER, 'x-passport');
  assert.equal(passport.PASSPORT_TYP, 'passport+jwt');
  assert.equal(passport.DEFAULT_TTL_SECONDS, 60);
  assert.equal(passport.MAX_PASSPORT_BYTES, 8192);
  assert.equal(passport.PASSPORT_JWKS_PATH, '/.well-known/passport-jwks.json');
});

test('./errors exports the base class and one class per thrown code', async () => {
  const errors: Record<string, unknown> = await import('@edgepass/passport/errors');
  const { PASSPORT_ERROR_CODES, PassportError } = await import('@edgepass/passport');
  assert.equal(errors.PassportError, PassportError);
  const codes = Object.values(errors)
    .filter((v): v is { code: string } => typeof v === 'function' && 'code' in v && typeof v.code === 'string')
    .map((v) => v.code);
  assert.deepEqual(codes.sort(), PASSPORT_ERROR_CODES.filter((c) => c !== 'PASSPORT_INVALID').sort());
});
