// Private JWKs at rest: AES-256-GCM under the master key, random 12-byte IV, the kid as additional
// authenticated data (a row copied under another kid does not decrypt). Envelope:
//   v1.<iv>.<ciphertext>.<tag>   (each part base64url)
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import { StoreError } from './errors.ts';
import { MASTER_KEY_BYTES } from './master-key.ts';

const VERSION = 'v1';
const aad = (kid: string) => Buffer.from(`edgepass:signing_key:${VERSION}:${kid}`, 'utf8');

function checkKey(masterKey: Uint8Array): void {
  if (masterKey.byteLength !== MASTER_KEY_BYTES) {
    throw new StoreError('MASTER_KEY_INVALID', `the master key must be ${MASTER_KEY_BYTES} bytes`);
  }
}

export function encryptPrivateJwk(jwk: JWK, kid: string, masterKey: Uint8Array): string {
  checkKey(masterKey);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(aad(kid));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(jwk), 'utf8'), cipher.final()]);
  return [VERSION, iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** KEY_DECRYPT_FAILED for a wrong master key, another kid, a tampered or malformed envelope. */
export function decryptPrivateJwk(envelope: string, kid: string, masterKey: Uint8Array): JWK {
  checkKey(masterKey);
  const fail = (cause?: unknown) =>
    new StoreError(
      'KEY_DECRYPT_FAILED',
      `signing key ${kid} could not be decrypted: wrong EDGEPASS_MASTER_KEY, or the stored key was altered`,
      { cause },
    );
  const [version, iv, ciphertext, tag, ...rest] = envelope.split('.');
  if (version !== VERSION || !iv || !ciphertext || !tag || rest.length > 0) throw fail();
  try {
    const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
    decipher.setAAD(aad(kid));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as JWK;
  } catch (err) {
    // the cause is a generic crypto error ("Unsupported state or unable to authenticate data")
    throw fail(err);
  }
}
