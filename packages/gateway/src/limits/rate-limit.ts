// Rate limits: per route (by principal, API key or client IP) and per API key (its own
// rate_limit_per_minute, across routes). Counters live in the store's fast state (memory, or Redis
// shared by every gateway). When Redis is down the route's policy decides: `open` lets the request
// through (logged and counted), `closed` answers 503.
import type { FastState, RateLimiter, RateLimitResult } from '@edgepass/store';
import type { Principal } from '../authn/types.ts';
import type { RouteConfig } from '../config/schema.ts';
import { GatewayError } from '../errors.ts';

export type StoreDownPolicy = 'open' | 'closed';

/** Limiters shared by every compiled config (a reload keeps the counters of unchanged limits). */
export class Limiters {
  readonly #fast: FastState;
  readonly #limiters = new Map<string, RateLimiter>();

  constructor(fast: FastState) {
    this.#fast = fast;
  }

  get(keyPrefix: string, points: number, durationSec: number): RateLimiter {
    const id = `${keyPrefix}\u0000${points}\u0000${durationSec}`;
    let limiter = this.#limiters.get(id);
    if (limiter === undefined) {
      limiter = this.#fast.createRateLimiter({ keyPrefix, points, durationSec });
      this.#limiters.set(id, limiter);
    }
    return limiter;
  }
}

/** What the client learns about a limit (on 429 and on successful responses of limited routes). */
export function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  return {
    'ratelimit-limit': String(result.limit),
    'ratelimit-remaining': String(Math.max(0, result.remaining)),
    'ratelimit-reset': String(Math.max(0, Math.ceil(result.resetMs / 1000))),
  };
}

export interface RouteRateLimit {
  readonly limiter: RateLimiter;
  readonly by: 'principal' | 'api_key' | 'ip';
  readonly onStoreDown: StoreDownPolicy;
}

export function compileRateLimit(route: RouteConfig, limiters: Limiters): RouteRateLimit | undefined {
  const rl = route.rateLimit;
  if (rl === undefined) return undefined;
  return {
    limiter: limiters.get(`rl:route:${route.name}`, rl.limit, rl.window / 1000),
    by: rl.by,
    onStoreDown: rl.onStoreDown,
  };
}

/** The counter key: the principal (`user:…`, `key:…`), the API key, or the client address. */
export function rateLimitKey(by: RouteRateLimit['by'], principal: Principal, ip: string): string {
  if (by === 'ip' || principal.ref === '') return `ip:${ip}`;
  if (by === 'api_key' && principal.via !== 'api_key') return `ip:${ip}`;
  return principal.ref;
}

export type StoreDownHandler = (check: 'rate_limit' | 'quota', policy: StoreDownPolicy, err: unknown) => void;

/** Consumes one point; undefined when the store is down and the policy is `open`. Throws 429 / 503. */
export async function consume(
  limiter: RateLimiter,
  key: string,
  policy: StoreDownPolicy,
  onStoreDown: StoreDownHandler,
): Promise<RateLimitResult | undefined> {
  let result: RateLimitResult;
  try {
    result = await limiter.consume(key);
  } catch (err) {
    onStoreDown('rate_limit', policy, err);
    if (policy === 'closed')
      throw new GatewayError('DEPENDENCY_UNAVAILABLE', 'rate_limit_store_unavailable', undefined, { cause: err });
    return undefined;
  }
  if (!result.allowed) {
    const headers = rateLimitHeaders(result);
    headers['retry-after'] = String(Math.max(1, Math.ceil(result.resetMs / 1000)));
    throw new GatewayError('RATE_LIMITED', 'rate_limited', headers);
  }
  return result;
}

export function tighter(a: RateLimitResult | undefined, b: RateLimitResult | undefined): RateLimitResult | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b.remaining < a.remaining ? b : a;
}
