import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportJWK } from 'jose';
import { edKeys, secret32 } from '../test/support/craft.ts';
import { exportPassportJwk } from './jwks.ts';

test('exportPassportJwk publishes only the public members, with kid, alg and use', async () => {
  const keys = await edKeys();
  const expected = { kty: 'OKP', crv: 'Ed25519', x: keys.publicJwk.x, kid: 'k9', alg: 'EdDSA', use: 'sig' };
  assert.deepEqual(await exportPassportJwk(keys.publicKey, 'k9'), expected);
  assert.deepEqual(await exportPassportJwk(keys.publicJwk, 'k9'), expected);
});

test('exportPassportJwk refuses private keys, secrets and a missing kid', async () => {
  const keys = await edKeys();
  await assert.rejects(exportPassportJwk(keys.privateKey, 'k'), TypeError);
  await assert.rejects(exportPassportJwk(await exportJWK(keys.privateKey), 'k'), TypeError);
  await assert.rejects(
    exportPassportJwk({ kty: 'oct', k: Buffer.from(secret32()).toString('base64url') }, 'k'),
    TypeError,
  );
  await assert.rejects(exportPassportJwk(keys.publicKey, ''), TypeError);
});
