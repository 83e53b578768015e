// Verification of this auth service's own access tokens (for its JSON API and for introspection of JWT
// access tokens): asymmetric alg allow-list, typ at+jwt, iss, aud, exp/nbf with bounded skew, then the
// jti denylist. Failures are one AuthError code (AUTH_INVALID_TOKEN) with a stable reason for the log.
import { createLocalJWKSet, type JWK, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import type { AccessTokenPrincipal } from '../api/index.ts';
import { AuthError } from '../errors.ts';
import type { TokenDenylist } from './denylist.ts';

export const ACCESS_TOKEN_ALGORITHMS = ['ES256', 'RS256'];
export const CLOCK_TOLERANCE_SEC = 5;

export interface AccessTokenClaims extends JWTPayload {
  jti: string;
  sub: string;
  exp: number;
  client_id?: string;
  scope?: string;
  roles?: string[];
  plan?: string;
  tenant?: string;
}

export interface VerifierOptions {
  /** The issuer (a function: it is only known once the service listens). */
  issuer: () => string;
  audience: string;
  /** The current public JWKS. */
  jwks: () => { keys: JWK[] };
  /** Reloads keys from the store (called once when a token names an unknown kid). */
  reloadKeys: () => Promise<void>;
  denylist: TokenDenylist;
  now?: () => Date;
}

function reasonOf(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'token_expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim_${err.claim}_invalid`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature_invalid';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'kid_unknown';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'alg_not_allowed';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'token_malformed';
  return 'token_invalid';
}

export class AccessTokenVerifier {
  readonly #options: VerifierOptions;

  constructor(options: VerifierOptions) {
    this.#options = options;
  }

  async #verifySignature(token: string, allowReload: boolean): Promise<AccessTokenClaims> {
    const { issuer, audience, jwks, reloadKeys, now } = this.#options;
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks()), {
        issuer: issuer(),
        audience,
        algorithms: ACCESS_TOKEN_ALGORITHMS,
        typ: 'at+jwt',
        clockTolerance: CLOCK_TOLERANCE_SEC,
        requiredClaims: ['jti', 'sub', 'exp', 'iat'],
        ...(now ? { currentDate: now() } : {}),
      });
      return payload as AccessTokenClaims;
    } catch (err) {
      if (allowReload && err instanceof joseErrors.JWKSNoMatchingKey) {
        await reloadKeys();
        return await this.#verifySignature(token, false);
      }
      throw new AuthError('AUTH_INVALID_TOKEN', { reason: reasonOf(err), cause: err });
    }
  }

  /** Verified claims, or AuthError AUTH_INVALID_TOKEN (reason in the error, for the log). */
  async verifyClaims(token: string): Promise<AccessTokenClaims> {
    const claims = await this.#verifySignature(token, true);
    let denied: boolean;
    try {
      denied = await this.#options.denylist.isDenied(claims.jti);
    } catch (cause) {
      // Fail closed: without the denylist a revoked token could pass.
      throw new AuthError('AUTH_UNAVAILABLE', { reason: 'denylist_unavailable', cause });
    }
    if (denied) {
      throw new AuthError('AUTH_INVALID_TOKEN', { reason: 'token_revoked' });
    }
    return claims;
  }

  async verify(token: string): Promise<AccessTokenPrincipal> {
    const claims = await this.verifyClaims(token);
    return {
      sub: claims.sub,
      ...(claims.client_id ? { clientId: claims.client_id } : {}),
      scopes: new Set((claims.scope ?? '').split(' ').filter(Boolean)),
      roles: Array.isArray(claims.roles) ? claims.roles.filter((r) => typeof r === 'string') : [],
      ...(typeof claims.plan === 'string' ? { plan: claims.plan } : {}),
      jti: claims.jti,
    };
  }
}
