// JWT (compact JWS) verification with node:crypto — measured at half of jose's cost per RS256 token (docs/
// benchmarks.md) — and exactly as strict as the jose jwtVerify call it replaces: jwt.differential.test.ts runs
// both over valid, malformed and fuzzed tokens and requires the same outcome (the payload, or the same refusal
// reason) for every one. Each check below mirrors jose 6 (lib/jws_verify.js, lib/validate.js,
// lib/jwt_claims_set.js) in jose's order, so that a token failing two checks is refused for the same reason:
//   parseJwt      = decodeProtectedHeader + decodeJwt: three segments, base64url and UTF-8 as jose decodes
//                   them, JSON objects
//   verifyJwt     = jwtVerify once the key is chosen: `crit` (only `b64` is understood), the key's type and
//                   size, the signature, `b64: false` refused, then typ, iss, aud, exp, nbf, iat with the skew
// The caller picks the issuer by `iss`, checks `alg` against the issuer's allow-list and finds the key by `kid`.
import { constants, type KeyObject, verify } from 'node:crypto';
import { AuthnError, type AuthnReason } from '../errors.ts';

/** A JWT split and decoded, not yet verified. */
export interface Jwt {
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: Readonly<Record<string, unknown>>;
  /** `<header>.<payload>` as received: what the signature covers */
  readonly signingInput: string;
  /** the signature segment, still base64url */
  readonly signature: string;
}

/** What the claims must say (one trusted issuer's configuration). */
export interface JwtExpectations {
  readonly issuer: string;
  readonly audiences: readonly string[];
  /** seconds of tolerance on exp and nbf */
  readonly clockTolerance: number;
  /** the required `typ` header, compared as a media type (`at+jwt` = `application/at+jwt`) */
  readonly typ: string | undefined;
}

// jose decodes with a fatal UTF-8 decoder (a byte-order mark is skipped, as TextDecoder does by default)
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes base64url exactly as jose does on Node 24 (no Uint8Array.fromBase64: it refuses `+` and `/`, maps the
 * URL alphabet and calls atob, which skips ASCII whitespace, takes `=` padding and ignores trailing bits).
 * Undefined when jose would refuse the text.
 */
export function decodeBase64url(text: string): Buffer | undefined {
  if (BASE64URL.test(text)) return text.length % 4 === 1 ? undefined : Buffer.from(text, 'base64url');
  // whitespace, padding or a stray character: rare, so jose's own steps, verbatim
  if (text.includes('+') || text.includes('/')) return undefined;
  try {
    return Buffer.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), 'latin1');
  } catch {
    return undefined;
  }
}

/** A base64url segment holding a JSON object (jose's parseJoseHeader / decodeJwt), else undefined. */
function jsonObject(segment: string): Record<string, unknown> | undefined {
  if (segment.length === 0) return undefined;
  const bytes = decodeBase64url(segment);
  if (bytes === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Splits and decodes a compact JWT; throws AuthnError('malformed') for anything jose cannot decode. */
export function parseJwt(token: string): Jwt {
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  if (second === -1 || token.indexOf('.', second + 1) !== -1) throw new AuthnError('malformed');
  const header = jsonObject(token.slice(0, first));
  const claims = header === undefined ? undefined : jsonObject(token.slice(first + 1, second));
  if (header === undefined || claims === undefined) throw new AuthnError('malformed');
  return { header, claims, signingInput: token.slice(0, second), signature: token.slice(second + 1) };
}

interface Algorithm {
  /** digest for crypto.verify (null: Ed25519) */
  readonly hash: string | null;
  /** asymmetricKeyType and, for EC, namedCurve the key must have (what jose's toCryptoKey accepts) */
  readonly keyType: 'rsa' | 'ec' | 'ed25519';
  readonly curve?: string;
  /** PS*: the PSS salt length (the digest length) */
  readonly pssSalt?: number;
  /** ES*: bytes of r and of s in the JOSE (IEEE P1363) signature */
  readonly ecdsaHalf?: number;
}

const ALGORITHMS: ReadonlyMap<string, Algorithm> = new Map<string, Algorithm>([
  ['RS256', { hash: 'sha256', keyType: 'rsa' }],
  ['RS384', { hash: 'sha384', keyType: 'rsa' }],
  ['RS512', { hash: 'sha512', keyType: 'rsa' }],
  ['PS256', { hash: 'sha256', keyType: 'rsa', pssSalt: 32 }],
  ['PS384', { hash: 'sha384', keyType: 'rsa', pssSalt: 48 }],
  ['PS512', { hash: 'sha512', keyType: 'rsa', pssSalt: 64 }],
  ['ES256', { hash: 'sha256', keyType: 'ec', curve: 'prime256v1', ecdsaHalf: 32 }],
  ['ES384', { hash: 'sha384', keyType: 'ec', curve: 'secp384r1', ecdsaHalf: 48 }],
  ['ES512', { hash: 'sha512', keyType: 'ec', curve: 'secp521r1', ecdsaHalf: 66 }],
  ['EdDSA', { hash: null, keyType: 'ed25519' }],
  ['Ed25519', { hash: null, keyType: 'ed25519' }],
]);

/** jose refuses RSA keys under 2048 bits; key details are read once per key. */
const usableKeys = new WeakMap<KeyObject, { type: string | undefined; curve: string | undefined; bits: number }>();

function keyUsable(key: KeyObject, algorithm: Algorithm): boolean {
  if (key.type !== 'public') return false;
  let details = usableKeys.get(key);
  if (details === undefined) {
    const d = key.asymmetricKeyDetails;
    details = { type: key.asymmetricKeyType, curve: d?.namedCurve, bits: d?.modulusLength ?? 0 };
    usableKeys.set(key, details);
  }
  if (details.type !== algorithm.keyType) return false;
  if (algorithm.keyType === 'ec') return details.curve === algorithm.curve;
  return algorithm.keyType !== 'rsa' || details.bits >= 2048;
}

/** One DER INTEGER from an unsigned big-endian number (minimal: leading zeros dropped, 0x00 before a high bit). */
function derInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const value = bytes.subarray(start);
  const pad = ((value[0] ?? 0) & 0x80) !== 0 ? 1 : 0;
  const out = Buffer.allocUnsafe(2 + pad + value.length);
  out[0] = 0x02;
  out[1] = pad + value.length;
  if (pad === 1) out[2] = 0;
  value.copy(out, 2 + pad);
  return out;
}

/**
 * A JOSE ECDSA signature (r || s, IEEE P1363) as the DER SEQUENCE node:crypto verifies by default — what Node does
 * itself for `dsaEncoding: 'ieee-p1363'`, measured ~18 us slower per P-256 verification than this. A signature
 * of the wrong length does not verify (as in WebCrypto).
 */
function ecdsaDer(signature: Buffer, half: number): Buffer | undefined {
  if (signature.length !== 2 * half) return undefined;
  const r = derInteger(signature.subarray(0, half));
  const s = derInteger(signature.subarray(half));
  const length = r.length + s.length;
  const head = length < 0x80 ? Buffer.of(0x30, length) : Buffer.of(0x30, 0x81, length);
  return Buffer.concat([head, r, s]);
}

function signatureValid(algorithm: Algorithm, key: KeyObject, input: Buffer, signature: Buffer): boolean {
  try {
    if (algorithm.ecdsaHalf !== undefined) {
      const der = ecdsaDer(signature, algorithm.ecdsaHalf);
      return der !== undefined && verify(algorithm.hash, input, key, der);
    }
    if (algorithm.pssSalt !== undefined) {
      const pss = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.pssSalt };
      return verify(algorithm.hash, input, pss, signature);
    }
    return verify(algorithm.hash, input, key, signature);
  } catch {
    return false; // jose: any failure of the verification itself is a bad signature
  }
}

/** jose's `crit` handling: only `b64` is understood; returns the `b64` value (false: unencoded payload). */
function criticalB64(header: Readonly<Record<string, unknown>>): boolean {
  const crit = header.crit;
  if (crit === undefined) return true;
  if (!Array.isArray(crit) || crit.length === 0 || crit.some((p) => typeof p !== 'string' || p.length === 0)) {
    throw new AuthnError('malformed');
  }
  for (const parameter of crit) {
    if (parameter !== 'b64' || !Object.hasOwn(header, parameter)) throw new AuthnError('malformed');
  }
  if (typeof header.b64 !== 'boolean') throw new AuthnError('malformed');
  return header.b64;
}

/** `at+jwt` and `application/at+jwt` name the same media type (RFC 7515 §4.1.9), case-insensitively. */
function mediaType(value: string): string {
  const lower = value.toLowerCase();
  return value.includes('/') ? lower : `application/${lower}`;
}

/** The order in which jose reports a missing required claim, and the reason each maps to. */
const REQUIRED: ReadonlyArray<readonly [string, AuthnReason]> = [
  ['iss', 'wrong_issuer'],
  ['aud', 'wrong_audience'],
  ['sub', 'invalid_claims'],
  ['exp', 'invalid_claims'],
];

function checkClaims(jwt: Jwt, expect: JwtExpectations, nowMs: number): void {
  const { header, claims } = jwt;
  if (expect.typ !== undefined && (typeof header.typ !== 'string' || mediaType(header.typ) !== mediaType(expect.typ))) {
    throw new AuthnError('wrong_typ');
  }
  for (const [claim, reason] of REQUIRED) if (!Object.hasOwn(claims, claim)) throw new AuthnError(reason);
  if (claims.iss !== expect.issuer) throw new AuthnError('wrong_issuer');
  const aud = claims.aud;
  const audienceOk =
    typeof aud === 'string'
      ? expect.audiences.includes(aud)
      : Array.isArray(aud) && expect.audiences.some((a) => aud.includes(a));
  if (!audienceOk) throw new AuthnError('wrong_audience');
  const now = Math.floor(Math.trunc(nowMs) / 1000); // jose: epoch(new Date(nowMs))
  const tolerance = expect.clockTolerance;
  if (claims.iat !== undefined && typeof claims.iat !== 'number') throw new AuthnError('invalid_claims');
  const nbf = claims.nbf;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + tolerance)) throw new AuthnError('not_yet_valid');
  const exp = claims.exp;
  if (typeof exp !== 'number') throw new AuthnError('invalid_claims');
  if (exp <= now - tolerance) throw new AuthnError('expired');
}

/**
 * Verifies a parsed JWT with the key the caller chose for its `alg` (already checked against the issuer's
 * allow-list), then its claims. Returns the claims; throws AuthnError with the reason jose's error maps to.
 */
export function verifyJwt(
  jwt: Jwt,
  alg: string,
  key: KeyObject,
  expect: JwtExpectations,
  nowMs: number,
): Readonly<Record<string, unknown>> {
  const b64 = criticalB64(jwt.header);
  const algorithm = ALGORITHMS.get(alg);
  const signature = decodeBase64url(jwt.signature);
  if (algorithm === undefined || signature === undefined || !keyUsable(key, algorithm)) {
    throw new AuthnError('malformed');
  }
  if (!signatureValid(algorithm, key, Buffer.from(jwt.signingInput, 'latin1'), signature)) {
    throw new AuthnError('bad_signature');
  }
  if (!b64) throw new AuthnError('malformed'); // jose: JWTs MUST NOT use unencoded payload
  checkClaims(jwt, expect, nowMs);
  return jwt.claims;
}
