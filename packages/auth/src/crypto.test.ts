import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { constantTimeEqual, deriveKey, seal, sha256b64url, unseal } from './crypto.ts';

const master = new Uint8Array(randomBytes(32));

test('derived keys differ per purpose and per master key, and are stable', () => {
  const csrf = deriveKey(master, 'csrf');
  assert.equal(csrf.length, 32);
  assert.deepEqual(deriveKey(master, 'csrf'), csrf);
  assert.notDeepEqual(deriveKey(master, 'cookies'), csrf);
  assert.notDeepEqual(deriveKey(new Uint8Array(randomBytes(32)), 'csrf'), csrf);
});

test('seal/unseal round-trips; tampering, another AAD or another key fail closed', () => {
  const key = deriveKey(master, 'token-cache');
  const sealed = seal(key, '{"refresh_token":"x"}', 'k1');
  assert.ok(!sealed.includes('refresh_token'));
  assert.equal(unseal(key, sealed, 'k1'), '{"refresh_token":"x"}');
  assert.equal(unseal(key, sealed, 'k2'), undefined);
  assert.equal(unseal(deriveKey(master, 'csrf'), sealed, 'k1'), undefined);
  const parts = sealed.split('.');
  const body = Buffer.from(parts[2] ?? '', 'base64url');
  body[0] = (body[0] ?? 0) ^ 1;
  assert.equal(unseal(key, [parts[0], parts[1], body.toString('base64url'), parts[3]].join('.'), 'k1'), undefined);
  assert.equal(unseal(key, 'garbage', 'k1'), undefined);
  assert.notEqual(seal(key, 'same', 'k1'), seal(key, 'same', 'k1'), 'random IV');
});

test('hash and constant-time comparison', () => {
  assert.equal(sha256b64url('abc'), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  assert.equal(constantTimeEqual('a', 'a'), true);
  assert.equal(constantTimeEqual('a', 'ab'), false);
});
