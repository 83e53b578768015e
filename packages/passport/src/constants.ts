/** The request header that carries the passport from the gateway to a service. */
export const PASSPORT_HEADER = 'x-passport';
/** The protected-header `typ` of every passport (RFC 8725 explicit typing). */
export const PASSPORT_TYP = 'passport+jwt';
/** Default passport lifetime in seconds. */
export const DEFAULT_TTL_SECONDS = 60;
/** The longest lifetime (`exp - iat`) a passport may have, in seconds: minters refuse more, verifiers too. */
export const MAX_TTL_SECONDS = 3600;
/** Default upper bound of a passport's size in bytes; larger ones are refused before any parsing. */
export const MAX_PASSPORT_BYTES = 8 * 1024;
/** Default clock tolerance of a verifier, in seconds. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;
/** Largest clock tolerance a verifier accepts, in seconds. */
export const MAX_CLOCK_TOLERANCE_SECONDS = 60;
/** Default number of verified passports a verifier remembers. */
export const DEFAULT_CACHE_SIZE = 1024;
/** Path of the passport JWKS on the gateway's admin listener. */
export const PASSPORT_JWKS_PATH = '/.well-known/passport-jwks.json';

/** Signature algorithms a passport may use: Ed25519 (default) or, by configuration, HMAC-SHA-256. */
export type PassportAlgorithm = 'EdDSA' | 'HS256';
export const ASYMMETRIC_ALGORITHMS: readonly PassportAlgorithm[] = ['EdDSA'];
export const SYMMETRIC_ALGORITHMS: readonly PassportAlgorithm[] = ['HS256'];
/** Shortest accepted HS256 secret, in bytes (RFC 7518 §3.2: at least the hash output size). */
export const MIN_HS256_SECRET_BYTES = 32;
