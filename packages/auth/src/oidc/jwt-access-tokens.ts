// Revocation (RFC 7009) and introspection (RFC 7662) of JWT access tokens. oidc-provider cannot recall a
// structured token: after authenticating the client it answers `unsupported_token_type` for a JWT. This
// Koa middleware runs around those endpoints and, only in exactly that case (so client authentication
// and every other check already happened inside oidc-provider), answers itself:
// - revocation: the token must verify as ours (else 200, as RFC 7009 asks for invalid tokens) and belong
//   to the calling client; its jti is denylisted until exp and `token.revoked` published;
// - introspection: active only when the token verifies (alg, typ, iss, aud, exp) and its jti is not
//   denylisted; a public client only learns about its own tokens.
import type { KoaContextWithOIDC, Middleware } from 'oidc-provider';
import type { Logger } from 'pino';
import { isAuthError } from '../errors.ts';
import type { TokenDenylist } from '../tokens/denylist.ts';
import type { AccessTokenClaims, AccessTokenVerifier } from '../tokens/verify.ts';

export interface JwtAccessTokenOptions {
  revocationPath: string;
  introspectionPath: string;
  verifier: () => AccessTokenVerifier;
  denylist: TokenDenylist;
  logger: Logger;
}

function refusedAsStructured(ctx: KoaContextWithOIDC): boolean {
  const body = ctx.body as { error?: unknown } | undefined;
  return ctx.status === 400 && body?.error === 'unsupported_token_type';
}

async function verified(options: JwtAccessTokenOptions, token: string): Promise<AccessTokenClaims | undefined> {
  try {
    return await options.verifier().verifyClaims(token);
  } catch (err) {
    options.logger.info({ reason: isAuthError(err) ? err.reason : 'token_invalid' }, 'jwt access token not active');
    return undefined;
  }
}

export function jwtAccessTokenEndpoints(options: JwtAccessTokenOptions): Middleware {
  return async function jwtAccessTokens(ctx, next) {
    await next();
    const route =
      ctx.path === options.revocationPath
        ? 'revocation'
        : ctx.path === options.introspectionPath
          ? 'introspection'
          : undefined;
    if (!route || ctx.method !== 'POST' || !refusedAsStructured(ctx)) return;
    const client = ctx.oidc.client;
    const token = ctx.oidc.params?.token;
    if (!client || typeof token !== 'string') return;
    const isPublic = client.clientAuthMethod === 'none';
    const claims = await verified(options, token);

    if (route === 'introspection') {
      ctx.status = 200;
      ctx.set('Cache-Control', 'no-store');
      if (!claims || (isPublic && claims.client_id !== client.clientId)) {
        ctx.body = { active: false };
        return;
      }
      ctx.body = { ...claims, active: true, token_type: 'Bearer' };
      return;
    }

    if (claims && claims.client_id !== client.clientId) {
      options.logger.info({ reason: 'revocation_client_mismatch', clientId: client.clientId }, 'revocation refused');
      if (!isPublic) {
        ctx.status = 400;
        ctx.body = {
          error: 'invalid_request',
          error_description: 'client is not authorized to revoke the presented token',
        };
        return;
      }
    } else if (claims) {
      await options.denylist.deny({ jti: claims.jti, exp: claims.exp });
      options.logger.info(
        { reason: 'access_token_revoked', clientId: client.clientId, jti: claims.jti },
        'access token revoked',
      );
    }
    ctx.status = 200;
    ctx.body = '';
  };
}
