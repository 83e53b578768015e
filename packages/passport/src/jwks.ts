// The public half of a passport signing key as the gateway publishes it in its passport JWKS.
import { exportJWK, type JWK } from 'jose';
import { classifyKey, isCryptoKey } from './lib/keys.ts';

/**
 * Returns the public JWK to publish (`kty`, `crv`, `x`, `kid`, `alg: EdDSA`, `use: sig`) for an Ed25519 public
 * key (an extractable CryptoKey or a JWK). Private members are never copied. Throws TypeError otherwise.
 */
export async function exportPassportJwk(publicKey: CryptoKey | JWK, kid: string): Promise<JWK> {
  if (typeof kid !== 'string' || kid.length === 0) throw new TypeError('kid must be a non-empty string');
  const { keyClass, alg } = classifyKey(publicKey, 'publicKey');
  if (keyClass !== 'public' || alg !== 'EdDSA') throw new TypeError('publicKey must be an Ed25519 public key');
  const jwk = isCryptoKey(publicKey) ? await exportJWK(publicKey) : publicKey;
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid, alg: 'EdDSA', use: 'sig' };
}
