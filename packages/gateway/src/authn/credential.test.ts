import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthnError } from '../errors.ts';
import { type CredentialNames, cookieValue, presentedCredential } from './credential.ts';

const names: CredentialNames = { apiKeyScheme: 'apikey', apiKeyHeaders: ['x-api-key'], sessionCookie: 'ep_session' };

const reason = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AuthnError);
    return err.authnReason;
  }
  assert.fail('expected an AuthnError');
};

describe('presentedCredential', () => {
  test('Bearer (any case) → access_token; the API-key scheme or header → api_key', () => {
    assert.deepEqual(presentedCredential({ authorization: 'Bearer abc' }, names, false), {
      kind: 'access_token',
      value: 'abc',
    });
    assert.deepEqual(presentedCredential({ authorization: 'bearer abc' }, names, false), {
      kind: 'access_token',
      value: 'abc',
    });
    assert.deepEqual(presentedCredential({ authorization: 'ApiKey k1' }, names, false), {
      kind: 'api_key',
      value: 'k1',
    });
    assert.deepEqual(presentedCredential({ 'x-api-key': 'k2' }, names, false), { kind: 'api_key', value: 'k2' });
  });

  test('malformed, unknown scheme, two credentials', () => {
    assert.equal(
      reason(() => presentedCredential({ authorization: 'Bearer' }, names, false)),
      'malformed',
    );
    assert.equal(
      reason(() => presentedCredential({ authorization: 'Bearer a b' }, names, false)),
      'malformed',
    );
    assert.equal(
      reason(() => presentedCredential({ authorization: 'Basic eA==' }, names, false)),
      'unsupported_scheme',
    );
    assert.equal(
      reason(() => presentedCredential({ authorization: 'Bearer a', 'x-api-key': 'k' }, names, false)),
      'multiple_credentials',
    );
    assert.equal(
      reason(() => presentedCredential({ 'x-api-key': '' }, names, false)),
      'malformed',
    );
  });

  test('the session cookie only where sessions are accepted and nothing explicit is presented', () => {
    const headers = { cookie: 'a=1; ep_session=s3cr3t; b=2' };
    assert.deepEqual(presentedCredential(headers, names, true), { kind: 'session', value: 's3cr3t' });
    assert.deepEqual(presentedCredential(headers, names, false), { kind: 'none', value: '' });
    assert.deepEqual(presentedCredential({ ...headers, authorization: 'Bearer t' }, names, true), {
      kind: 'access_token',
      value: 't',
    });
    assert.deepEqual(presentedCredential({}, names, true), { kind: 'none', value: '' });
  });
});

test('cookieValue', () => {
  assert.equal(cookieValue('ep_session=abc', 'ep_session'), 'abc');
  assert.equal(cookieValue('x=1;ep_session="quoted"; y=2', 'ep_session'), 'quoted');
  assert.equal(cookieValue('my_ep_session=no; ep_session_x=no', 'ep_session'), undefined);
  assert.equal(cookieValue('a=1; ep_session=', 'ep_session'), '');
});
