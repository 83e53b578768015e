import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Principal } from '../authn/types.ts';
import { rateLimitKey } from './rate-limit.ts';

const principal = (via: Principal['via'], ref: string): Principal => ({
  sub: ref === '' ? 'anonymous' : ref.slice(ref.indexOf(':') + 1),
  kind: via === 'anonymous' ? 'anonymous' : 'user',
  via,
  roles: [],
  scope: '',
  scopes: new Set(),
  plan: undefined,
  tenant: undefined,
  src: '',
  ref,
  expiresAt: Number.POSITIVE_INFINITY,
  rateLimitPerMinute: undefined,
});

describe('rateLimitKey: who a route rate limit counts', () => {
  const user = principal('access_token', 'user:usr_1');
  const sessionUser = principal('session', 'user:usr_1');
  const key = principal('api_key', 'key:key_1');
  const anonymous = principal('anonymous', '');

  test('by principal: the user, whatever credential it presents; the key; anonymous callers by address', () => {
    assert.equal(rateLimitKey('principal', user, '10.0.0.1'), 'user:usr_1');
    assert.equal(rateLimitKey('principal', sessionUser, '10.0.0.2'), 'user:usr_1');
    assert.equal(rateLimitKey('principal', key, '10.0.0.1'), 'key:key_1');
    assert.equal(rateLimitKey('principal', anonymous, '10.0.0.1'), 'ip:10.0.0.1');
  });

  test('by api_key: the key; callers without one by address', () => {
    assert.equal(rateLimitKey('api_key', key, '10.0.0.1'), 'key:key_1');
    assert.equal(rateLimitKey('api_key', user, '10.0.0.1'), 'ip:10.0.0.1');
    assert.equal(rateLimitKey('api_key', anonymous, '10.0.0.3'), 'ip:10.0.0.3');
  });

  test('by ip: the address, even for an authenticated caller', () => {
    assert.equal(rateLimitKey('ip', user, '10.0.0.1'), 'ip:10.0.0.1');
    assert.equal(rateLimitKey('ip', key, '10.0.0.4'), 'ip:10.0.0.4');
  });
});
