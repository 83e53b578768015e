import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { claims } from '../test/support/craft.ts';
import { validatePassportClaims } from './claims.ts';
import { MAX_TTL_SECONDS } from './constants.ts';
import { PassportError } from './errors.ts';

function refused(payload: unknown, claim: string): void {
  assert.throws(
    () => validatePassportClaims(payload),
    (e: unknown) => e instanceof PassportError && e.code === 'PASSPORT_INVALID_CLAIMS' && e.claim === claim,
  );
}

describe('validatePassportClaims', () => {
  test('returns only the passport claims, copied', () => {
    const payload = claims({ plan: 'pro', tenant: 'acme', jti: 'j', nbf: 1, extra: { deep: true } });
    const result = validatePassportClaims(payload);
    assert.deepEqual(Object.keys(result).sort(), [
      'aud',
      'exp',
      'iat',
      'iss',
      'kind',
      'plan',
      'roles',
      'scope',
      'src',
      'sub',
      'tenant',
      'via',
    ]);
    assert.notEqual(result.roles, payload.roles);
  });

  test('optional plan and tenant are left out when absent', () => {
    const result = validatePassportClaims(claims());
    assert.equal('plan' in result, false);
    assert.equal('tenant' in result, false);
  });

  test('an empty scope and empty roles are valid', () => {
    assert.equal(validatePassportClaims(claims({ scope: '', roles: [] })).scope, '');
  });

  test('every kind/via combination the contract allows', () => {
    for (const kind of ['user', 'service']) {
      for (const via of ['access_token', 'api_key', 'session']) validatePassportClaims(claims({ kind, via }));
    }
    validatePassportClaims(claims({ kind: 'anonymous', via: 'anonymous' }));
  });

  test('non-objects are refused', () => {
    for (const payload of [null, [], 'x', 3, undefined, new Date()]) refused(payload, 'payload');
  });

  test('each malformed claim is refused by name', () => {
    refused(claims({ iss: '' }), 'iss');
    refused(claims({ aud: ['vocabulary'] }), 'aud');
    refused(claims({ sub: null }), 'sub');
    refused(claims({ kind: 'USER' }), 'kind');
    refused(claims({ via: 'cookie' }), 'via');
    refused(claims({ roles: [['nested']] }), 'roles');
    refused(claims({ scope: ' leading' }), 'scope');
    refused(claims({ scope: 'trailing ' }), 'scope');
    refused(claims({ scope: 'back\\slash' }), 'scope');
    refused(claims({ plan: '' }), 'plan');
    refused(claims({ tenant: 7 }), 'tenant');
    refused(claims({ src: '' }), 'src');
    refused(claims({ iat: -1 }), 'iat');
    refused(claims({ iat: Number.NaN }), 'iat');
    refused(claims({ exp: null }), 'exp');
    refused(claims({ iat: 0, exp: MAX_TTL_SECONDS + 1 }), 'exp');
    assert.equal(validatePassportClaims(claims({ iat: 0, exp: MAX_TTL_SECONDS })).exp, MAX_TTL_SECONDS);
  });
});
