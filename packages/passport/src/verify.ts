// createPassportVerifier: the service side of the contract. One verifier per service: its algorithm
// allow-list comes from its configuration (never from a token), `iss`, `aud`, `exp`, `nbf` and `iat` are
// always checked with a bounded clock tolerance, and verified passports are remembered until they expire.
import { type JSONWebKeySet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { validatePassportClaims } from './claims.ts';
import {
  ASYMMETRIC_ALGORITHMS,
  DEFAULT_CACHE_SIZE,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  MAX_CLOCK_TOLERANCE_SECONDS,
  MAX_PASSPORT_BYTES,
  PASSPORT_TYP,
  type PassportAlgorithm,
  SYMMETRIC_ALGORITHMS,
} from './constants.ts';
import { PassportMalformed, PassportMissing, PassportNotYetValid } from './errors.ts';
import { type Identity, identityFromClaims } from './identity.ts';
import { checkCompactPassport } from './lib/compact.ts';
import { toPassportError } from './lib/jose-errors.ts';
import { classifyKey, isCryptoKey, localKeySet, type PassportKey, remoteKeySet } from './lib/keys.ts';
import { LruMap } from './lib/lru.ts';
import { httpUrl } from './lib/url.ts';

export interface PassportVerifierOptions {
  /** The gateway id this service trusts (`iss`). */
  issuer: string;
  /** This service's name (`aud`): a passport minted for another service is refused. */
  audience: string;
  /** Allowed `alg` values. Default `['EdDSA']` for public keys and key sets; must be `['HS256']` for a secret. */
  algorithms?: readonly PassportAlgorithm[];
  /** One verification key: an Ed25519 public key (CryptoKey or JWK) or an HS256 secret (Uint8Array, CryptoKey, oct JWK). */
  key?: PassportKey;
  /** The gateway's passport JWKS URL (`/.well-known/passport-jwks.json` on its admin listener). */
  jwksUrl?: string | URL;
  /** A passport JWKS held in-process. */
  jwks?: JSONWebKeySet;
  /** Tuning of the jwksUrl source. Defaults: cooldown 30 s, cache max age 10 min, timeout 5 s. */
  jwksCooldownMs?: number;
  jwksCacheMaxAgeMs?: number;
  jwksTimeoutMs?: number;
  /** Clock skew allowed on exp/nbf/iat, seconds. Default 5, at most 60. */
  clockToleranceSeconds?: number;
  /** Refuse larger passports before parsing them. Default MAX_PASSPORT_BYTES (8 KiB). */
  maxTokenBytes?: number;
  /** The clock (tests pass a fixed one). */
  now?: () => Date;
  /** How many verified passports to remember (by exact string, until exp). Default 1024; 0 disables. */
  cacheSize?: number;
}

export interface PassportVerifier {
  /** Resolves with the passport's Identity or rejects with a PassportError (see errors.ts for codes). */
  verify(token: string | null | undefined): Promise<Identity>;
}

const DEFAULT_JWKS = { cooldownMs: 30_000, cacheMaxAgeMs: 600_000, timeoutMs: 5_000 };

function requireText(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`${name} must be a non-empty string`);
  return value;
}

function boundedNumber(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

interface KeySource {
  key: JWTVerifyGetKey | PassportKey;
  /** The algorithms this kind of source may ever accept. */
  family: readonly PassportAlgorithm[];
  fromSet: boolean;
}

function keySource(options: PassportVerifierOptions): KeySource {
  const given = [options.key, options.jwks, options.jwksUrl].filter((s) => s !== undefined).length;
  if (given !== 1) throw new TypeError('give exactly one of key, jwks or jwksUrl');
  if (options.key !== undefined) {
    const { keyClass } = classifyKey(options.key, 'key');
    if (keyClass === 'private') throw new TypeError('key must be a public key (or an HS256 secret), not a private key');
    // A JWK is copied because jose freezes the JWK objects it has imported.
    const key = options.key instanceof Uint8Array || isCryptoKey(options.key) ? options.key : { ...options.key };
    return { key, family: keyClass === 'secret' ? SYMMETRIC_ALGORITHMS : ASYMMETRIC_ALGORITHMS, fromSet: false };
  }
  if (options.jwks !== undefined) {
    return { key: localKeySet(options.jwks), family: ASYMMETRIC_ALGORITHMS, fromSet: true };
  }
  const remote = remoteKeySet(httpUrl(options.jwksUrl as string | URL, 'jwksUrl'), {
    cooldownMs: boundedNumber(options.jwksCooldownMs, 'jwksCooldownMs', DEFAULT_JWKS.cooldownMs, 0, 86_400_000),
    cacheMaxAgeMs: boundedNumber(
      options.jwksCacheMaxAgeMs,
      'jwksCacheMaxAgeMs',
      DEFAULT_JWKS.cacheMaxAgeMs,
      0,
      86_400_000,
    ),
    timeoutMs: boundedNumber(options.jwksTimeoutMs, 'jwksTimeoutMs', DEFAULT_JWKS.timeoutMs, 1, 60_000),
  });
  return { key: remote, family: ASYMMETRIC_ALGORITHMS, fromSet: true };
}

function allowedAlgorithms(requested: unknown, family: readonly PassportAlgorithm[]): Set<PassportAlgorithm> {
  if (requested === undefined) return new Set(family);
  if (!Array.isArray(requested) || requested.length === 0) throw new TypeError('algorithms must be a non-empty array');
  for (const alg of requested) {
    if (!family.includes(alg)) {
      throw new TypeError(
        `algorithm ${String(alg)} cannot be used with this key source (allowed: ${family.join(', ')})`,
      );
    }
  }
  return new Set(requested as PassportAlgorithm[]);
}

export function createPassportVerifier(options: PassportVerifierOptions): PassportVerifier {
  if (typeof options !== 'object' || options === null) throw new TypeError('options are required');
  const issuer = requireText(options.issuer, 'issuer');
  const audience = requireText(options.audience, 'audience');
  const source = keySource(options);
  const algorithms = allowedAlgorithms(options.algorithms, source.family);
  const tolerance = boundedNumber(
    options.clockToleranceSeconds,
    'clockToleranceSeconds',
    DEFAULT_CLOCK_TOLERANCE_SECONDS,
    0,
    MAX_CLOCK_TOLERANCE_SECONDS,
  );
  const maxBytes = boundedNumber(options.maxTokenBytes, 'maxTokenBytes', MAX_PASSPORT_BYTES, 64, 1_048_576);
  const cache = new LruMap<string, Identity>(
    boundedNumber(options.cacheSize, 'cacheSize', DEFAULT_CACHE_SIZE, 0, 1_000_000),
  );
  const inflight = new Map<string, Promise<Identity>>();
  if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('now must be a function');
  const now = options.now ?? (() => new Date());
  const headerRules = { maxBytes, algorithms, requireKid: source.fromSet };
  const joseOptions = {
    algorithms: [...algorithms],
    issuer,
    audience,
    typ: PASSPORT_TYP,
    clockTolerance: tolerance,
    requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp'],
  };

  async function verifyUncached(token: string, currentDate: Date, nowSeconds: number): Promise<Identity> {
    checkCompactPassport(token, headerRules);
    let payload: unknown;
    try {
      // Overloads of jwtVerify differ by key type; the key source is one or the other.
      const result =
        typeof source.key === 'function'
          ? await jwtVerify(token, source.key, { ...joseOptions, currentDate })
          : await jwtVerify(token, source.key, { ...joseOptions, currentDate });
      payload = result.payload;
    } catch (err) {
      throw toPassportError(err);
    }
    const claims = validatePassportClaims(payload);
    if (claims.iat > nowSeconds + tolerance) throw new PassportNotYetValid(undefined, { claim: 'iat' });
    return identityFromClaims(claims);
  }

  return {
    async verify(token) {
      if (token === undefined || token === null || token === '') throw new PassportMissing();
      if (typeof token !== 'string') throw new PassportMalformed('a passport is a string');
      const currentDate = now();
      const nowSeconds = Math.floor(currentDate.getTime() / 1000);
      const cached = cache.get(token);
      if (cached !== undefined) {
        if (cached.expiresAt > nowSeconds - tolerance) return cached;
        cache.delete(token);
      }
      // Single-flight: concurrent requests carrying the same new passport share one verification.
      const pending = inflight.get(token);
      if (pending !== undefined) return pending;
      const verification = verifyUncached(token, currentDate, nowSeconds);
      inflight.set(token, verification);
      try {
        const identity = await verification;
        cache.set(token, identity);
        return identity;
      } finally {
        inflight.delete(token);
      }
    },
  };
}
