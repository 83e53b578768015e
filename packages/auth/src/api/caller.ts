// Who may call a JSON API route. Owner routes: a Bearer access token of this auth service whose subject
// is an active user, carrying the route's scope. Admin routes: a token with role `admin`; when the
// subject is a user (not a client_credentials client) that user must still be active and an admin.
import type { FastifyRequest } from 'fastify';
import { findOwner, type OwnerProfile } from '../apikeys/owners.ts';
import { JsonApiError } from '../errors.ts';
import type { AccessTokenPrincipal, JsonApiDeps } from './index.ts';

export const ADMIN_ROLE = 'admin';

/** Scopes the owner API requires (clients must be allowed to request them). */
export const OWNER_SCOPES = {
  keys: 'api_keys:manage',
  usage: 'usage:read',
} as const;

export type Access = { kind: 'public' } | { kind: 'owner'; scope?: string } | { kind: 'admin' };

export interface OwnerCaller {
  kind: 'owner';
  token: AccessTokenPrincipal;
  user: OwnerProfile;
}

export interface AdminCaller {
  kind: 'admin';
  token: AccessTokenPrincipal;
}

export type Caller = { kind: 'public' } | OwnerCaller | AdminCaller;

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const MAX_TOKEN_LENGTH = 8192;

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined) throw new JsonApiError('API_INVALID_TOKEN', { reason: 'token_missing', bearer: {} });
  const match = header.length <= MAX_TOKEN_LENGTH + 16 ? BEARER.exec(header) : null;
  if (!match?.[1]) {
    throw new JsonApiError('API_INVALID_TOKEN', {
      reason: 'authorization_malformed',
      bearer: { error: 'invalid_token' },
    });
  }
  return match[1];
}

async function verifiedToken(request: FastifyRequest, deps: JsonApiDeps): Promise<AccessTokenPrincipal> {
  const token = bearerToken(request);
  try {
    return await deps.verifyAccessToken(token);
  } catch (err) {
    const { status, code, reason } = err as { status?: unknown; code?: unknown; reason?: unknown };
    if (typeof status === 'number' && status >= 500) {
      throw new JsonApiError('API_UNAVAILABLE', { reason: 'token_verifier_unavailable', cause: err });
    }
    const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 100) : undefined);
    request.log.info(
      { reason: 'token_rejected', verifierCode: text(code), verifierReason: text(reason) },
      'access token rejected',
    );
    throw new JsonApiError('API_INVALID_TOKEN', { reason: 'token_rejected', bearer: { error: 'invalid_token' } });
  }
}

export async function authenticate(access: Access, request: FastifyRequest, deps: JsonApiDeps): Promise<Caller> {
  if (access.kind === 'public') return { kind: 'public' };
  const token = await verifiedToken(request, deps);
  if (access.kind === 'owner') {
    if (access.scope !== undefined && !token.scopes.has(access.scope)) {
      throw new JsonApiError('API_INSUFFICIENT_SCOPE', {
        reason: 'scope_missing',
        bearer: { error: 'insufficient_scope', scope: access.scope },
      });
    }
    const user = await findOwner(deps.store.sql, token.sub);
    if (user?.status !== 'active') {
      throw new JsonApiError('API_INVALID_TOKEN', {
        reason: 'subject_not_active_user',
        bearer: { error: 'invalid_token' },
      });
    }
    return { kind: 'owner', token, user };
  }
  if (!token.roles.includes(ADMIN_ROLE)) throw new JsonApiError('API_ADMIN_REQUIRED', { reason: 'admin_role_missing' });
  const user = await findOwner(deps.store.sql, token.sub);
  const isUserSubject = user !== undefined || token.sub.startsWith('usr_');
  if (isUserSubject && (user?.status !== 'active' || !user.roles.includes(ADMIN_ROLE))) {
    throw new JsonApiError('API_ADMIN_REQUIRED', { reason: 'admin_role_revoked' });
  }
  return { kind: 'admin', token };
}
