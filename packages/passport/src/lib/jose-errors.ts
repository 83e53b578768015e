// Maps what jose throws during jwtVerify to the passport's stable codes. Whatever else fails while a
// passport is verified (WebCrypto refusing a published key, a verifier breaking its contract) means that
// passports cannot be verified: PASSPORT_KEYS_UNAVAILABLE, with the original error kept as `cause`.
import { errors } from 'jose';
import {
  PassportAlgNotAllowed,
  PassportBadSignature,
  PassportError,
  type PassportErrorOptions,
  PassportExpired,
  PassportInvalidClaims,
  PassportKeysUnavailable,
  PassportMalformed,
  PassportNotYetValid,
  PassportUnknownKid,
  PassportWrongAudience,
  PassportWrongIssuer,
  PassportWrongType,
} from '../errors.ts';

const CLAIM_CHECKS: Record<string, new (message?: string, options?: PassportErrorOptions) => PassportError> = {
  typ: PassportWrongType,
  iss: PassportWrongIssuer,
  aud: PassportWrongAudience,
  nbf: PassportNotYetValid,
  iat: PassportNotYetValid,
};

function claimFailure(err: errors.JWTClaimValidationFailed): PassportError {
  const options = { claim: err.claim, cause: err };
  const ErrorClass = err.reason === 'check_failed' ? CLAIM_CHECKS[err.claim] : undefined;
  return ErrorClass === undefined ? new PassportInvalidClaims(undefined, options) : new ErrorClass(undefined, options);
}

function fromJoseError(err: unknown): PassportError | undefined {
  if (err instanceof PassportError) return err;
  const options = { cause: err };
  if (err instanceof errors.JWTExpired) return new PassportExpired(undefined, { claim: err.claim, cause: err });
  if (err instanceof errors.JWTClaimValidationFailed) return claimFailure(err);
  if (err instanceof errors.JOSEAlgNotAllowed)
    return new PassportAlgNotAllowed(undefined, { claim: 'alg', cause: err });
  if (err instanceof errors.JWSSignatureVerificationFailed) return new PassportBadSignature(undefined, options);
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return new PassportUnknownKid(undefined, { claim: 'kid', cause: err });
  }
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid || err instanceof errors.JOSENotSupported) {
    return new PassportMalformed(undefined, options);
  }
  return undefined;
}

/** The PassportError for anything a verification rejected with: jose's errors by kind, the rest 503. */
export function toPassportError(err: unknown): PassportError {
  return fromJoseError(err) ?? new PassportKeysUnavailable(undefined, { cause: err });
}
