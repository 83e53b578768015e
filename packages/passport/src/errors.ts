// The passport error registry: every stable code this package throws or answers with, its HTTP status
// and a generic title. Codes are API: never rename or reuse one. docs/errors.md lists every code
// (errors.test.ts checks both directions). Messages never contain a token or key material.

interface ErrorEntry {
  readonly status: 401 | 403 | 503;
  readonly title: string;
}

export const PASSPORT_ERRORS = {
  PASSPORT_MISSING: { status: 401, title: 'No passport was presented' },
  PASSPORT_INVALID: { status: 401, title: 'The passport was refused' },
  PASSPORT_MALFORMED: { status: 401, title: 'The passport is not a well-formed compact JWS' },
  PASSPORT_TOO_LARGE: { status: 401, title: 'The passport exceeds the size limit' },
  PASSPORT_ALG_NOT_ALLOWED: { status: 401, title: 'The passport algorithm is not allowed' },
  PASSPORT_BAD_SIGNATURE: { status: 401, title: 'The passport signature does not verify' },
  PASSPORT_UNKNOWN_KID: { status: 401, title: 'The passport key id is unknown' },
  PASSPORT_WRONG_TYPE: { status: 401, title: 'The token is not a passport' },
  PASSPORT_EXPIRED: { status: 401, title: 'The passport has expired' },
  PASSPORT_NOT_YET_VALID: { status: 401, title: 'The passport is not valid yet' },
  PASSPORT_WRONG_ISSUER: { status: 401, title: 'The passport issuer is not trusted' },
  PASSPORT_WRONG_AUDIENCE: { status: 401, title: 'The passport is for another service' },
  PASSPORT_INVALID_CLAIMS: { status: 401, title: 'The passport claims are invalid' },
  PASSPORT_KEYS_UNAVAILABLE: { status: 503, title: 'The passport verification keys are unavailable' },
  FORBIDDEN_SCOPE: { status: 403, title: 'A required scope is missing' },
  FORBIDDEN_ROLE: { status: 403, title: 'A required role is missing' },
  FORBIDDEN_KIND: { status: 403, title: 'This kind of principal may not call this endpoint' },
} as const satisfies Record<string, ErrorEntry>;

export type PassportErrorCode = keyof typeof PASSPORT_ERRORS;

export const PASSPORT_ERROR_CODES = Object.freeze(Object.keys(PASSPORT_ERRORS)) as readonly PassportErrorCode[];

export interface PassportErrorOptions {
  /** The claim or header parameter that failed, e.g. `aud`, `typ`, `roles`. */
  claim?: string;
  /** Internal cause (a jose error, a fetch failure). Never sent to clients. */
  cause?: unknown;
}

/**
 * Base class of every error this package throws for a refused passport, a failed guard or unavailable keys.
 * `code` is stable (see PASSPORT_ERRORS); each subclass also carries it as `static code` (as jose does).
 * The message is the registry's generic title unless a more precise, token-free one is given.
 */
export class PassportError extends Error {
  static readonly code: PassportErrorCode | undefined = undefined;
  readonly code: PassportErrorCode;
  /** HTTP status to answer with: 401, 403 or 503. */
  readonly status: 401 | 403 | 503;
  readonly claim: string | undefined;

  constructor(code: PassportErrorCode, message?: string, options: PassportErrorOptions = {}) {
    super(message ?? PASSPORT_ERRORS[code].title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PassportError';
    this.code = code;
    this.status = PASSPORT_ERRORS[code].status;
    this.claim = options.claim;
  }

  /** Alias of `status` for frameworks that read `statusCode` (Fastify, Express error handlers). */
  get statusCode(): number {
    return this.status;
  }
}

function defineError<const C extends PassportErrorCode>(code: C, name: string) {
  const ErrorClass = class extends PassportError {
    static override readonly code: C = code;
    declare readonly code: C;
    constructor(message?: string, options?: PassportErrorOptions) {
      super(code, message, options);
      this.name = name;
    }
  };
  Object.defineProperty(ErrorClass, 'name', { value: name });
  return ErrorClass;
}

export const PassportMissing = defineError('PASSPORT_MISSING', 'PassportMissing');
export const PassportMalformed = defineError('PASSPORT_MALFORMED', 'PassportMalformed');
export const PassportTooLarge = defineError('PASSPORT_TOO_LARGE', 'PassportTooLarge');
export const PassportAlgNotAllowed = defineError('PASSPORT_ALG_NOT_ALLOWED', 'PassportAlgNotAllowed');
export const PassportBadSignature = defineError('PASSPORT_BAD_SIGNATURE', 'PassportBadSignature');
export const PassportUnknownKid = defineError('PASSPORT_UNKNOWN_KID', 'PassportUnknownKid');
export const PassportWrongType = defineError('PASSPORT_WRONG_TYPE', 'PassportWrongType');
export const PassportExpired = defineError('PASSPORT_EXPIRED', 'PassportExpired');
export const PassportNotYetValid = defineError('PASSPORT_NOT_YET_VALID', 'PassportNotYetValid');
export const PassportWrongIssuer = defineError('PASSPORT_WRONG_ISSUER', 'PassportWrongIssuer');
export const PassportWrongAudience = defineError('PASSPORT_WRONG_AUDIENCE', 'PassportWrongAudience');
export const PassportInvalidClaims = defineError('PASSPORT_INVALID_CLAIMS', 'PassportInvalidClaims');
export const PassportKeysUnavailable = defineError('PASSPORT_KEYS_UNAVAILABLE', 'PassportKeysUnavailable');
export const ForbiddenScope = defineError('FORBIDDEN_SCOPE', 'ForbiddenScope');
export const ForbiddenRole = defineError('FORBIDDEN_ROLE', 'ForbiddenRole');
export const ForbiddenKind = defineError('FORBIDDEN_KIND', 'ForbiddenKind');
