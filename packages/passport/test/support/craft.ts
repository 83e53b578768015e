// Hand-made compact JWS for negative tests: any header, any payload bytes, signed with WebCrypto directly
// (not through jose, so nothing on the signing side can tidy up what a test means to break).
import { exportJWK, generateKeyPair } from 'jose';
import { encode } from 'jose/base64url';
import { PassportError } from '../../src/errors.ts';

export const NOW = new Date('2030-01-02T03:04:05Z');
export const NOW_S = Math.floor(NOW.getTime() / 1000);
export const fixedClock = (): Date => NOW;
export const ISSUER = 'gw-test';
export const AUDIENCE = 'vocabulary';
export const KID = 'passport-2030-01';

/** A segment: an object or array is JSON-encoded then base64url-encoded; a string is used verbatim. */
export type Segment = object | string;

export function segment(value: Segment): string {
  return typeof value === 'string' ? value : encode(JSON.stringify(value));
}

export function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    kind: 'user',
    via: 'access_token',
    roles: ['editor'],
    scope: 'vocab:read vocab:write',
    src: 'https://auth.example#jti-1',
    iat: NOW_S - 10,
    exp: NOW_S + 50,
    ...overrides,
  };
}

export function edHeader(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { alg: 'EdDSA', typ: 'passport+jwt', kid: KID, ...overrides };
}

const te = new TextEncoder();

async function signature(input: string, key: CryptoKey | Uint8Array<ArrayBuffer>): Promise<string> {
  const data = te.encode(input);
  if (key instanceof Uint8Array) {
    const hmac = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return encode(new Uint8Array(await crypto.subtle.sign('HMAC', hmac, data)));
  }
  return encode(new Uint8Array(await crypto.subtle.sign('Ed25519', key, data)));
}

/** Signs `<header>.<payload>` with an Ed25519 private key or, given bytes, with HMAC-SHA-256 keyed by them. */
export async function craft(
  header: Segment,
  payload: Segment,
  key: CryptoKey | Uint8Array<ArrayBuffer>,
): Promise<string> {
  const input = `${segment(header)}.${segment(payload)}`;
  return `${input}.${await signature(input, key)}`;
}

export interface EdKeys {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public key as a JWK with the test kid. */
  publicJwk: { kty: string; crv?: string; x?: string; kid: string };
  /** Raw 32-byte public key: what an attacker would feed HMAC in an algorithm-confusion attempt. */
  publicRaw: Uint8Array<ArrayBuffer>;
  publicSpki: Uint8Array<ArrayBuffer>;
}

export async function edKeys(kid = KID): Promise<EdKeys> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwk = await exportJWK(publicKey);
  return {
    privateKey,
    publicKey,
    publicJwk: { ...jwk, kty: 'OKP', kid },
    publicRaw: new Uint8Array(await crypto.subtle.exportKey('raw', publicKey)),
    publicSpki: new Uint8Array(await crypto.subtle.exportKey('spki', publicKey)),
  };
}

export const secret32 = (): Uint8Array<ArrayBuffer> => crypto.getRandomValues(new Uint8Array(32));

/** Replaces one segment (0 header, 1 payload, 2 signature) of a compact JWS. */
export function replaceSegment(token: string, index: number, value: Segment): string {
  const parts = token.split('.');
  parts[index] = segment(value);
  return parts.join('.');
}

/** The payload of a compact JWS, decoded (no verification). */
export function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

export function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
}

/** Asserts that a promise rejects with a PassportError of this code (and, when given, this claim); returns it. */
export async function rejectsWith(promise: Promise<unknown>, code: string, claim?: string): Promise<PassportError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  if (!(caught instanceof PassportError)) {
    throw new Error(`expected PassportError ${code}, got ${caught === undefined ? 'success' : String(caught)}`);
  }
  if (caught.code !== code) throw new Error(`expected ${code}, got ${caught.code} (${caught.message})`);
  if (claim !== undefined && caught.claim !== claim) throw new Error(`expected claim ${claim}, got ${caught.claim}`);
  return caught;
}
