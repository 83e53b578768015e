// Grace for concurrent refreshes. Refresh tokens rotate on every use and oidc-provider revokes the whole
// grant when a used one comes back — which is what two tabs refreshing at once look like. This Koa
// middleware in front of the token endpoint makes duplicates within `graceSec` harmless and safe across
// instances (the lock and the cached response are in the shared KV — Redis when REDIS_URL is set):
//   key = SHA-256(refresh_token, client_id, client_secret, Authorization header)   (the client's exact
//         credentials are part of the key, so a cached response is only ever handed to a request that
//         authenticated exactly like the one that produced it)
//   1. a cached response for the key → return it (the SAME new tokens; one chain);
//   2. else SET NX the lock → refresh normally; a 200 response is sealed (AES-256-GCM, key derived from the
//      master key, AAD = the key) with its grant id and cached for graceSec; errors are not cached; the lock
//      is released. A cached response is only served while its grant still exists and while the refresh token
//      it hands out has not been used itself (logout, reuse detection, or a chain that already moved on → the
//      duplicate goes to oidc-provider and counts as reuse: the family is revoked);
//   3. else (another request holds the lock) poll the KV until the cached response appears (→ 1) or the
//      lock disappears without one (the holder failed → refresh normally), up to a deadline.
import type { KeyValue } from '@edgepass/store';
import type { KoaContextWithOIDC, Middleware } from 'oidc-provider';
import { seal, sha256b64url, unseal } from '../crypto.ts';

const BODY_LIMIT = 56 * 1024;
const POLL_MS = 20;

export interface RefreshGraceOptions {
  kv: KeyValue;
  tokenPath: string;
  graceSec: number;
  /** AES-256 key for cached responses (derived from the master key). */
  sealKey: Uint8Array;
  /** Whether a grant still exists (not revoked by logout or reuse detection). */
  grantAlive: (grantId: string) => Promise<boolean>;
  /** Whether a refresh token has not been used (rotated) yet. */
  refreshTokenUnused: (refreshToken: string) => Promise<boolean>;
  /** How long a holder may take before waiters give up on it (ms). */
  lockTtlMs?: number;
}

interface CachedResponse {
  grantId: string;
  body: string;
}

async function readBody(ctx: KoaContextWithOIDC): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) throw Object.assign(new Error('request entity too large'), { status: 413, expose: true });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function respond(ctx: KoaContextWithOIDC, body: string): void {
  ctx.status = 200;
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  ctx.type = 'application/json; charset=utf-8';
  ctx.body = body;
}

export function refreshGrace(options: RefreshGraceOptions): Middleware {
  const { kv, tokenPath, graceSec, sealKey, grantAlive, refreshTokenUnused } = options;
  /** A cached answer is only handed out while the chain has not moved past it. */
  const current = async (entry: CachedResponse): Promise<boolean> => {
    if (!(await grantAlive(entry.grantId))) return false;
    const successor = (JSON.parse(entry.body) as { refresh_token?: unknown }).refresh_token;
    return typeof successor !== 'string' || (await refreshTokenUnused(successor));
  };
  const lockTtlMs = options.lockTtlMs ?? 10_000;

  return async function refreshGraceMiddleware(ctx, next) {
    if (
      graceSec <= 0 ||
      ctx.method !== 'POST' ||
      ctx.path !== tokenPath ||
      !ctx.is('application/x-www-form-urlencoded')
    ) {
      return await next();
    }
    // oidc-provider accepts a body parsed upstream (req.body) in place of the stream.
    const raw = await readBody(ctx);
    Object.assign(ctx.req, { body: raw });
    const params = new URLSearchParams(raw);
    const refreshToken = params.get('refresh_token');
    if (params.get('grant_type') !== 'refresh_token' || !refreshToken) return await next();

    const id = sha256b64url(
      [refreshToken, params.get('client_id') ?? '', params.get('client_secret') ?? '', ctx.get('authorization')].join(
        '\u0000',
      ),
    );
    const cacheKey = `refresh:grace:${id}`;
    const lockKey = `refresh:lock:${id}`;
    const cached = async (): Promise<string | undefined> => {
      const value = await kv.get(cacheKey);
      const opened = value === null ? undefined : unseal(sealKey, value, cacheKey);
      if (opened === undefined) return undefined;
      const entry = JSON.parse(opened) as CachedResponse;
      return (await current(entry)) ? entry.body : undefined;
    };

    const hit = await cached();
    if (hit !== undefined) return respond(ctx, hit);

    if (await kv.set(lockKey, '1', { onlyIfAbsent: true, ttlMs: lockTtlMs })) {
      try {
        await next();
        const grantId = (ctx.oidc.entities.Grant as { jti?: unknown } | undefined)?.jti;
        if (ctx.status === 200 && ctx.body && typeof ctx.body === 'object' && typeof grantId === 'string') {
          const entry: CachedResponse = { grantId, body: JSON.stringify(ctx.body) };
          await kv.set(cacheKey, seal(sealKey, JSON.stringify(entry), cacheKey), { ttlMs: graceSec * 1000 });
        }
      } finally {
        await kv.delete(lockKey);
      }
      return;
    }

    const deadline = Date.now() + lockTtlMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const value = await cached();
      if (value !== undefined) return respond(ctx, value);
      if ((await kv.get(lockKey)) === null) break;
    }
    // One last look: the holder may have finished between the two reads above.
    const late = await cached();
    if (late !== undefined) return respond(ctx, late);
    await next();
  };
}
