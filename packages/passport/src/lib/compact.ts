// Structural checks of a compact JWS before any cryptography: size, three base64url segments, a JSON
// object header with an allowed `alg`, the passport `typ` and (when keys come from a key set) a `kid`.
// Garbage is refused cheaply and with a precise code; jose then verifies the signature and the claims.
import { decode } from 'jose/base64url';
import { PASSPORT_TYP } from '../constants.ts';
import { PassportAlgNotAllowed, PassportMalformed, PassportTooLarge, PassportWrongType } from '../errors.ts';

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const decoder = new TextDecoder('utf-8', { fatal: true });

export interface CompactHeaderRules {
  maxBytes: number;
  algorithms: ReadonlySet<string>;
  requireKid: boolean;
}

function checkSegment(segment: string, label: string): void {
  // A base64url segment never has length 1 mod 4; everything else the charset test has already vetted.
  if (!SEGMENT.test(segment) || segment.length % 4 === 1) {
    throw new PassportMalformed(`the ${label} is not base64url`, { claim: label });
  }
}

function decodeSegment(segment: string, label: string): unknown {
  checkSegment(segment, label);
  try {
    return JSON.parse(decoder.decode(decode(segment)));
  } catch (cause) {
    throw new PassportMalformed(`the ${label} is not JSON`, { claim: label, cause });
  }
}

/** RFC 7515 §4.1.9: `typ` is compared case-insensitively and may omit the `application/` prefix. */
export function isPassportTyp(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  const lower = typ.toLowerCase();
  return lower === PASSPORT_TYP || lower === `application/${PASSPORT_TYP}`;
}

/** Throws PassportError (TOO_LARGE, MALFORMED, WRONG_TYPE, ALG_NOT_ALLOWED) unless the token is worth verifying. */
export function checkCompactPassport(token: string, rules: CompactHeaderRules): void {
  // A string of n UTF-16 units has at least n UTF-8 bytes; non-ASCII tokens are malformed anyway.
  if (token.length > rules.maxBytes) throw new PassportTooLarge();
  const segments = token.split('.');
  if (segments.length !== 3) throw new PassportMalformed('a passport has three segments');
  const [encodedHeader, encodedPayload, signature] = segments;
  const header = decodeSegment(encodedHeader, 'header');
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new PassportMalformed('the header is not a JSON object', { claim: 'header' });
  }
  const { alg, kid, typ } = header as Record<string, unknown>;
  // `alg` first: an `alg: none` token (empty signature) is refused as an algorithm, not as a shape.
  if (typeof alg !== 'string' || !rules.algorithms.has(alg)) {
    throw new PassportAlgNotAllowed(undefined, { claim: 'alg' });
  }
  if (!isPassportTyp(typ)) throw new PassportWrongType(undefined, { claim: 'typ' });
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0)) {
    throw new PassportMalformed('"kid" must be a non-empty string', { claim: 'kid' });
  }
  if (kid === undefined && rules.requireKid) throw new PassportMalformed('"kid" is required', { claim: 'kid' });
  checkSegment(encodedPayload, 'payload');
  checkSegment(signature, 'signature');
}
