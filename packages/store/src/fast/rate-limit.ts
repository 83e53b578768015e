// Maps rate-limiter-flexible's resolve/reject protocol to RateLimitResult: a RateLimiterRes rejection
// means "limited"; any other rejection (a storage failure) is rethrown as is.
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitResult } from '../types.ts';

function toResult(res: RateLimiterRes, allowed: boolean, limit: number): RateLimitResult {
  return { allowed, limit, remaining: res.remainingPoints, resetMs: Math.max(0, res.msBeforeNext) };
}

export async function consumeWith(
  limiter: RateLimiterAbstract,
  limit: number,
  key: string,
  points: number,
): Promise<RateLimitResult> {
  try {
    return toResult(await limiter.consume(key, points), true, limit);
  } catch (err) {
    if (err instanceof RateLimiterRes) return toResult(err, false, limit);
    throw err;
  }
}
