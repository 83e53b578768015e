// A passport issuer for a service's own tests: an in-memory key, passports minted without a gateway,
// and the verifier options that accept them. Never use it outside tests.
import { generateKeyPair, type JSONWebKeySet } from 'jose';
import type { PassportInput } from './claims.ts';
import type { PassportAlgorithm } from './constants.ts';
import { exportPassportJwk } from './jwks.ts';
import { mintPassport } from './mint.ts';
import type { PassportVerifierOptions } from './verify.ts';

export interface TestPassportIssuerOptions {
  /** `iss` of the minted passports. Default `test-gateway`. */
  issuer?: string;
  /** `EdDSA` (default) or `HS256`. */
  alg?: PassportAlgorithm;
  /** `aud` when mint() is not told otherwise. Default `test-service`. */
  audience?: string;
}

/** Passport input plus the minter's knobs: any of them overrides the test issuer's default. */
export interface TestPassportOverrides extends Partial<PassportInput> {
  audience?: string;
  issuer?: string;
  ttlSeconds?: number;
  now?: () => Date;
}

export interface TestPassportIssuer {
  readonly alg: PassportAlgorithm;
  readonly issuer: string;
  readonly kid: string;
  /** Mints a passport for `sub: 'test-user'`, a user via access_token with no roles or scopes, unless overridden. */
  mint(overrides?: TestPassportOverrides): Promise<string>;
  /** The public JWKS (empty for HS256: a secret is never published). */
  readonly jwks: JSONWebKeySet;
  /** The Ed25519 public key; undefined for HS256. */
  readonly publicKey: CryptoKey | undefined;
  /** The HS256 secret; undefined for EdDSA. */
  readonly secret: Uint8Array | undefined;
  /** Options for createPassportVerifier (or an adapter) that accept this issuer's passports for `audience`. */
  verifierOptions(audience?: string): PassportVerifierOptions;
}

const DEFAULT_INPUT: PassportInput = {
  sub: 'test-user',
  kind: 'user',
  via: 'access_token',
  roles: [],
  scope: '',
  src: 'test-issuer#test',
};

export async function createTestPassportIssuer(options: TestPassportIssuerOptions = {}): Promise<TestPassportIssuer> {
  const issuer = options.issuer ?? 'test-gateway';
  const alg = options.alg ?? 'EdDSA';
  const defaultAudience = options.audience ?? 'test-service';
  const kid = `test-${alg.toLowerCase()}-${crypto.randomUUID()}`;
  let signingKey: CryptoKey | Uint8Array;
  let publicKey: CryptoKey | undefined;
  let secret: Uint8Array | undefined;
  let jwks: JSONWebKeySet;
  if (alg === 'HS256') {
    secret = crypto.getRandomValues(new Uint8Array(32));
    signingKey = secret;
    jwks = { keys: [] };
  } else if (alg === 'EdDSA') {
    const pair = await generateKeyPair('EdDSA', { extractable: true });
    signingKey = pair.privateKey;
    publicKey = pair.publicKey;
    jwks = { keys: [await exportPassportJwk(pair.publicKey, kid)] };
  } else {
    throw new TypeError('alg must be EdDSA or HS256');
  }
  const frozenJwks = Object.freeze({ keys: Object.freeze(jwks.keys.map((k) => Object.freeze(k))) }) as JSONWebKeySet;
  return Object.freeze({
    alg,
    issuer,
    kid,
    jwks: frozenJwks,
    publicKey,
    secret,
    mint(overrides: TestPassportOverrides = {}) {
      const { audience, issuer: iss, ttlSeconds, now, ...input } = overrides;
      return mintPassport(
        { ...DEFAULT_INPUT, ...input },
        { kid, key: signingKey },
        { issuer: iss ?? issuer, audience: audience ?? defaultAudience, ttlSeconds, now },
      );
    },
    verifierOptions(audience = defaultAudience): PassportVerifierOptions {
      return secret === undefined
        ? { issuer, audience, algorithms: ['EdDSA'], jwks: structuredClone(jwks) }
        : { issuer, audience, algorithms: ['HS256'], key: secret };
    },
  });
}
