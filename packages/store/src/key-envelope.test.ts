import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { exportJWK, generateKeyPair } from 'jose';
import { isStoreError } from './errors.ts';
import { decryptPrivateJwk, encryptPrivateJwk } from './key-envelope.ts';

const masterKey = new Uint8Array(randomBytes(32));
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = await exportJWK(privateKey);
const secret = String(jwk.d);

const decryptFails = (envelope: string, kid = 'kid-1', key = masterKey) =>
  assert.throws(
    () => decryptPrivateJwk(envelope, kid, key),
    (err) => isStoreError(err, 'KEY_DECRYPT_FAILED') && err.message.includes(kid) && !inspect(err).includes(secret),
  );

test('encrypt/decrypt round-trips a private JWK in a v1 envelope without the key material in clear', () => {
  const envelope = encryptPrivateJwk(jwk, 'kid-1', masterKey);
  assert.match(envelope, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
  assert.equal(envelope.includes(secret), false);
  assert.deepEqual(decryptPrivateJwk(envelope, 'kid-1', masterKey), jwk);
  // a random IV per encryption
  assert.notEqual(encryptPrivateJwk(jwk, 'kid-1', masterKey), envelope);
});

test('a wrong master key fails with KEY_DECRYPT_FAILED', () => {
  decryptFails(encryptPrivateJwk(jwk, 'kid-1', masterKey), 'kid-1', new Uint8Array(randomBytes(32)));
});

test('the kid is authenticated: an envelope moved to another kid does not decrypt', () => {
  decryptFails(encryptPrivateJwk(jwk, 'kid-1', masterKey), 'kid-2');
});

test('any tampering with the IV, ciphertext, tag or version fails', () => {
  const envelope = encryptPrivateJwk(jwk, 'kid-1', masterKey);
  const parts = envelope.split('.');
  const flip = (b64: string) => {
    const bytes = Buffer.from(b64, 'base64url');
    bytes[0] ^= 1;
    return bytes.toString('base64url');
  };
  for (let i = 1; i < 4; i++) decryptFails(parts.map((p, j) => (j === i ? flip(p) : p)).join('.'));
  decryptFails(['v2', ...parts.slice(1)].join('.'));
  decryptFails(parts.slice(0, 3).join('.'));
  decryptFails(`${envelope}.extra`);
  decryptFails('');
  decryptFails([parts[0], parts[1], parts[2], parts[3].slice(0, 10)].join('.'));
});

test('a master key of the wrong size is refused before any crypto', () => {
  assert.throws(
    () => encryptPrivateJwk(jwk, 'kid-1', new Uint8Array(16)),
    (err) => isStoreError(err, 'MASTER_KEY_INVALID'),
  );
  assert.throws(
    () => decryptPrivateJwk('v1.a.b.c', 'kid-1', new Uint8Array(31)),
    (err) => isStoreError(err, 'MASTER_KEY_INVALID'),
  );
});
