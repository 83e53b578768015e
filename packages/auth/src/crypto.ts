// Small crypto helpers shared by the auth service: hashing, random tokens, constant-time comparison and
// purpose-bound keys derived from the master key (HKDF-SHA256), plus AES-256-GCM sealing for short-lived
// secrets kept in the fast state (cached token responses).
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export function sha256(value: string | Uint8Array): Buffer {
  return createHash('sha256').update(value).digest();
}

/** base64url(SHA-256(value)) — the stored form of session ids, client secrets and cache keys. */
export function sha256b64url(value: string | Uint8Array): string {
  return sha256(value).toString('base64url');
}

/** `bytes` random bytes as base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Prefixed random id, e.g. `usr_…`, `cli_…` (128 bits). */
export function prefixedId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

/** Constant-time comparison of two strings (hash both first so length differences do not leak). */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

export type KeyPurpose = 'csrf' | 'cookies' | 'token-cache' | 'external-state';

/** A 32-byte key for one purpose, derived from the master key. Different purposes never share key material. */
export function deriveKey(masterKey: Uint8Array, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, 'edgepass-auth', `edgepass/auth/${purpose}`, 32));
}

const SEAL_VERSION = 'v1';

/** AES-256-GCM with a random 12-byte IV; `aad` binds the ciphertext to its context (e.g. the cache key). */
export function seal(key: Uint8Array, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [SEAL_VERSION, iv.toString('base64url'), body.toString('base64url'), tag.toString('base64url')].join('.');
}

/** Opens a sealed value; undefined when it was tampered with, sealed under another key/aad, or malformed. */
export function unseal(key: Uint8Array, sealed: string, aad: string): string | undefined {
  const [version, iv, body, tag] = sealed.split('.');
  if (version !== SEAL_VERSION || !iv || body === undefined || !tag) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
