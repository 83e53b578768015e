// @edgepass/passport: the passport format (docs/passport.md), mint and verify. Framework adapters are in
// the ./fastify, ./express, ./hono and ./node subpaths, the test issuer in ./testing, errors in ./errors.
export {
  PASSPORT_KINDS,
  PASSPORT_VIA,
  type PassportClaims,
  type PassportInput,
  type PassportKind,
  type PassportVia,
  validatePassportClaims,
} from './claims.ts';
export {
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_TTL_SECONDS,
  MAX_CLOCK_TOLERANCE_SECONDS,
  MAX_PASSPORT_BYTES,
  MAX_TTL_SECONDS,
  PASSPORT_HEADER,
  PASSPORT_JWKS_PATH,
  PASSPORT_TYP,
  type PassportAlgorithm,
} from './constants.ts';
export { PASSPORT_ENV, type PassportEnvOptions, verifierOptionsFromEnv } from './env.ts';
export { PASSPORT_ERROR_CODES, PassportError, type PassportErrorCode } from './errors.ts';
export type { Identity } from './identity.ts';
export { exportPassportJwk } from './jwks.ts';
export type { PassportKey } from './lib/keys.ts';
export { type MintPassportOptions, mintPassport, type PassportSigningKey } from './mint.ts';
export { createPassportVerifier, type PassportVerifier, type PassportVerifierOptions } from './verify.ts';
