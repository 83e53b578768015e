import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { generateApiKey, hashApiKey, isApiKeyFormat, isApiKeyId, newApiKeyId } from './format.ts';

test('keys are ep_<env>_ + 43 base64url characters (256 random bits), prefix is the first 12 characters', () => {
  for (const env of ['live', 'test'] as const) {
    const g = generateApiKey(env);
    assert.match(g.key, new RegExp(`^ep_${env}_[A-Za-z0-9_-]{43}$`));
    assert.equal(Buffer.from(g.key.slice(8), 'base64url').length, 32);
    assert.equal(g.prefix, g.key.slice(0, 12));
    assert.equal(g.hash, hashApiKey(g.key));
    assert.ok(isApiKeyFormat(g.key));
  }
});

test('keys do not repeat', () => {
  const keys = new Set(Array.from({ length: 1000 }, () => generateApiKey('live').key));
  assert.equal(keys.size, 1000);
});

test('the stored hash is SHA-256 of the whole key in base64url (what gateways look up)', () => {
  const key = `ep_live_${'x'.repeat(43)}`;
  assert.equal(hashApiKey(key), createHash('sha256').update(key).digest('base64url'));
  assert.equal(hashApiKey('abc'), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
});

test('format checks refuse other envs, lengths and alphabets', () => {
  assert.equal(isApiKeyFormat(`ep_prod_${'a'.repeat(43)}`), false);
  assert.equal(isApiKeyFormat(`ep_live_${'a'.repeat(42)}`), false);
  assert.equal(isApiKeyFormat(`ep_live_${'a'.repeat(42)}=`), false);
  assert.equal(isApiKeyFormat(` ep_live_${'a'.repeat(43)}`), false);
  assert.throws(() => generateApiKey('prod' as 'live'), TypeError);
});

test('ids are key_ + 22 base64url characters', () => {
  const id = newApiKeyId();
  assert.ok(isApiKeyId(id), id);
  assert.equal(isApiKeyId('key_short'), false);
  assert.equal(isApiKeyId(`usr_${id.slice(4)}`), false);
});
