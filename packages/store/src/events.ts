// Events fanned out through the store's pub/sub so that every gateway and auth instance sharing one
// PostgreSQL + Redis honours a revocation or a change made on any of them.

/** The one channel all edgepass instances publish to and subscribe on (the store adds its key prefix). */
export const EVENTS_CHANNEL = 'events';

export type EdgeEvent =
  /** An access token was revoked before expiry (logout, admin): deny its jti until exp (unix seconds). */
  | { type: 'token.revoked'; jti: string; exp: number }
  /** An API key was revoked, rotated out, or changed (scopes, rate limit, expiry): drop cached lookups. */
  | { type: 'api_key.changed'; id: string; hash: string }
  /** A browser session ended (logout) or was revoked. hash = SHA-256 (base64url) of the cookie value. */
  | { type: 'session.revoked'; hash: string }
  /** A user's roles/plan/status changed: drop cached sessions and passports for that subject. */
  | { type: 'user.changed'; id: string }
  /** Signing keys changed (rotation): refetch JWKS / reload passport keys. */
  | { type: 'keys.changed'; use: 'access_token' | 'passport' };

/** KV key under which a revoked access-token jti is kept until the token's expiry. */
export const deniedJtiKey = (jti: string): string => `deny:jti:${jti}`;

export function encodeEvent(event: EdgeEvent): string {
  return JSON.stringify(event);
}

/** Parses an event; returns undefined for anything malformed or of an unknown type (never throws). */
export function decodeEvent(message: string): EdgeEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Record<string, unknown>;
  const str = (k: string) => typeof e[k] === 'string' && (e[k] as string).length > 0;
  switch (e.type) {
    case 'token.revoked':
      return str('jti') && typeof e.exp === 'number' ? { type: e.type, jti: e.jti as string, exp: e.exp } : undefined;
    case 'api_key.changed':
      return str('id') && str('hash') ? { type: e.type, id: e.id as string, hash: e.hash as string } : undefined;
    case 'session.revoked':
      return str('hash') ? { type: e.type, hash: e.hash as string } : undefined;
    case 'user.changed':
      return str('id') ? { type: e.type, id: e.id as string } : undefined;
    case 'keys.changed':
      return e.use === 'access_token' || e.use === 'passport' ? { type: e.type, use: e.use } : undefined;
    default:
      return undefined;
  }
}
