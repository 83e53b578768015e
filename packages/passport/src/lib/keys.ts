// Key material: classifying what a caller passes (secret, public or private; which algorithm family),
// and the verification key sources (one key, a JWK set, a JWKS URL with stale-if-error).
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import { decode } from 'jose/base64url';
import { MIN_HS256_SECRET_BYTES, type PassportAlgorithm } from '../constants.ts';
import { PassportKeysUnavailable } from '../errors.ts';

/** A key as the API accepts it: a WebCrypto key, a JWK, or (HS256 only) the secret's bytes. */
export type PassportKey = CryptoKey | JWK | Uint8Array;

export type KeyClass = 'secret' | 'public' | 'private';

export function isCryptoKey(key: unknown): key is CryptoKey {
  return typeof CryptoKey !== 'undefined' && key instanceof CryptoKey;
}

function isJwk(key: unknown): key is JWK {
  return typeof key === 'object' && key !== null && !Array.isArray(key) && typeof (key as JWK).kty === 'string';
}

function secretLength(key: PassportKey): number {
  if (key instanceof Uint8Array) return key.byteLength;
  if (isCryptoKey(key)) {
    const { length } = key.algorithm as { length?: number };
    return typeof length === 'number' ? length / 8 : 0;
  }
  return typeof key.k === 'string' ? decode(key.k).byteLength : 0;
}

/**
 * Which kind of key this is, checked against the algorithm family; throws TypeError on anything a
 * passport cannot use (an RSA key, a short HMAC secret, an HMAC key offered for EdDSA, ...).
 */
export function classifyKey(key: unknown, label: string): { keyClass: KeyClass; alg: PassportAlgorithm } {
  let keyClass: KeyClass;
  let alg: PassportAlgorithm;
  if (key instanceof Uint8Array) {
    keyClass = 'secret';
    alg = 'HS256';
  } else if (isCryptoKey(key)) {
    const name = key.algorithm.name;
    const hash = (key.algorithm as { hash?: { name?: string } }).hash?.name;
    if (name === 'Ed25519') alg = 'EdDSA';
    else if (name === 'HMAC' && hash === 'SHA-256') alg = 'HS256';
    else throw new TypeError(`${label} must be an Ed25519 key or an HMAC SHA-256 secret`);
    keyClass = key.type;
  } else if (isJwk(key)) {
    if (key.kty === 'OKP' && key.crv === 'Ed25519') {
      alg = 'EdDSA';
      keyClass = typeof key.d === 'string' ? 'private' : 'public';
    } else if (key.kty === 'oct' && typeof key.k === 'string') {
      alg = 'HS256';
      keyClass = 'secret';
    } else {
      throw new TypeError(`${label} must be an Ed25519 (OKP) or oct JWK`);
    }
    if (key.alg !== undefined && key.alg !== alg) throw new TypeError(`${label} has "alg" ${key.alg}, expected ${alg}`);
  } else {
    throw new TypeError(`${label} must be a CryptoKey, a JWK or a Uint8Array secret`);
  }
  if (keyClass === 'secret' && secretLength(key) < MIN_HS256_SECRET_BYTES) {
    throw new TypeError(`${label}: an HS256 secret must be at least ${MIN_HS256_SECRET_BYTES} bytes`);
  }
  return { keyClass, alg };
}

/** A JWKS given in-process: public asymmetric keys only. */
export function localKeySet(jwks: unknown): JWTVerifyGetKey {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as JSONWebKeySet).keys)) {
    throw new TypeError('jwks must be a JSON Web Key Set ({ keys: [...] })');
  }
  for (const jwk of (jwks as JSONWebKeySet).keys) {
    if (classifyKey(jwk, 'a jwks member').keyClass !== 'public')
      throw new TypeError('jwks members must be public keys');
  }
  return createLocalJWKSet(structuredClone(jwks as JSONWebKeySet));
}

export interface RemoteKeySetOptions {
  /** Minimum time between two fetches triggered by an unknown kid (jose `cooldownDuration`). */
  cooldownMs: number;
  /** Refetch the set when it is older than this (jose `cacheMaxAge`). */
  cacheMaxAgeMs: number;
  /** Abort a fetch after this long (jose `timeoutDuration`). */
  timeoutMs: number;
}

/** jose errors that mean "the set was fetched but has no key for this header" rather than "fetch failed". */
function isKeyLookupError(err: unknown): boolean {
  return (
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys ||
    err instanceof errors.JOSENotSupported
  );
}

/**
 * jose's remote JWKS (cache, single-flight refetch on an unknown kid, cooldown, timeout), plus
 * stale-if-error: when a refetch fails and a set was fetched before, that set keeps answering and the
 * next fetch is tried after one cooldown. With nothing fetched yet, a failure is PASSPORT_KEYS_UNAVAILABLE.
 */
export function remoteKeySet(url: URL, options: RemoteKeySetOptions): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url, {
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs,
    timeoutDuration: options.timeoutMs,
  });
  let stale: { keys: JWTVerifyGetKey; retryAt: number } | undefined;
  return async (header, token) => {
    if (stale !== undefined && Date.now() < stale.retryAt) return stale.keys(header, token);
    try {
      const key = await remote(header, token);
      stale = undefined;
      return key;
    } catch (err) {
      if (isKeyLookupError(err)) throw err;
      const last = remote.jwks();
      if (last === undefined) throw new PassportKeysUnavailable(undefined, { cause: err });
      stale = { keys: createLocalJWKSet(last), retryAt: Date.now() + options.cooldownMs };
      return stale.keys(header, token);
    }
  };
}
