// mintPassport: the gateway side of the contract (the gateway may also mint with its own fast path,
// checked against validatePassportClaims). `iss`, `aud`, `iat`, `exp` and the header's `typ`, `alg` and
// `kid` are set here, after the input was read, so no input can override them.
import { SignJWT } from 'jose';
import { type PassportClaims, type PassportInput, validatePassportClaims } from './claims.ts';
import {
  DEFAULT_TTL_SECONDS,
  MAX_PASSPORT_BYTES,
  MAX_TTL_SECONDS,
  PASSPORT_TYP,
  type PassportAlgorithm,
} from './constants.ts';
import { PassportError } from './errors.ts';
import { classifyKey, type PassportKey } from './lib/keys.ts';

export interface PassportSigningKey {
  /** Key id published in the passport JWKS (and for HS256, the id of the shared secret). */
  kid: string;
  /** An Ed25519 private key (CryptoKey or JWK), or an HS256 secret (Uint8Array of at least 32 bytes, CryptoKey or oct JWK). */
  key: PassportKey;
  /** Checked against the key when given; otherwise derived from it. */
  alg?: PassportAlgorithm;
}

export interface MintPassportOptions {
  /** The gateway id (`iss`). */
  issuer: string;
  /** The route's service name (`aud`). */
  audience: string;
  /** Lifetime in seconds, 1 to MAX_TTL_SECONDS (3600). Default DEFAULT_TTL_SECONDS (60). */
  ttlSeconds?: number;
  now?: () => Date;
}

function signingAlgorithm(signingKey: PassportSigningKey): PassportAlgorithm {
  if (typeof signingKey !== 'object' || signingKey === null) throw new TypeError('a signing key is required');
  if (typeof signingKey.kid !== 'string' || signingKey.kid.length === 0) {
    throw new TypeError('signing key kid must be a non-empty string');
  }
  const { keyClass, alg } = classifyKey(signingKey.key, 'signing key');
  if (keyClass === 'public') throw new TypeError('signing key must be a private key or an HS256 secret');
  if (signingKey.alg !== undefined && signingKey.alg !== alg) {
    throw new TypeError(`signing key is for ${alg}, not ${signingKey.alg}`);
  }
  return alg;
}

function claimsOf(input: PassportInput, options: MintPassportOptions): PassportClaims {
  if (typeof input !== 'object' || input === null) throw new TypeError('passport input is required');
  if (typeof options !== 'object' || options === null) throw new TypeError('mint options are required');
  const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
    throw new TypeError(`ttlSeconds must be an integer from 1 to ${MAX_TTL_SECONDS}`);
  }
  const iat = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  const scope =
    typeof input.scope === 'string' || input.scope === undefined ? (input.scope ?? '') : input.scope.join(' ');
  const candidate = {
    sub: input.sub,
    kind: input.kind,
    via: input.via,
    roles: input.roles ?? [],
    scope,
    plan: input.plan,
    tenant: input.tenant,
    src: input.src,
    iss: options.issuer,
    aud: options.audience,
    iat,
    exp: iat + ttl,
  };
  try {
    return validatePassportClaims(candidate);
  } catch (err) {
    if (err instanceof PassportError) throw new TypeError(`invalid passport input: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Signs a passport (compact JWS). Throws TypeError when the input, key or options are unusable. */
export async function mintPassport(
  input: PassportInput,
  signingKey: PassportSigningKey,
  options: MintPassportOptions,
): Promise<string> {
  const alg = signingAlgorithm(signingKey);
  const claims = claimsOf(input, options);
  const token = await new SignJWT({ ...claims })
    .setProtectedHeader({ alg, typ: PASSPORT_TYP, kid: signingKey.kid })
    .sign(signingKey.key);
  if (token.length > MAX_PASSPORT_BYTES) throw new TypeError(`the passport exceeds ${MAX_PASSPORT_BYTES} bytes`);
  return token;
}
