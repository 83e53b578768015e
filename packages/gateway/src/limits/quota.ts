// Quotas: requests per plan per UTC calendar window (hour, day, month), counted per principal and
// service with a KV counter that expires at the window's end. Exceeded → 402.
import type { KeyValue } from '@edgepass/store';
import type { Principal } from '../authn/types.ts';
import type { RouteConfig } from '../config/schema.ts';
import { GatewayError } from '../errors.ts';
import type { StoreDownHandler, StoreDownPolicy } from './rate-limit.ts';

export type QuotaWindow = 'hour' | 'day' | 'month';

/** The window containing `now`: an id for the counter key and its end (unix ms). */
export function quotaWindow(now: number, window: QuotaWindow): { id: string; endMs: number } {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const pad = (n: number) => String(n).padStart(2, '0');
  if (window === 'month') return { id: `${y}-${pad(m + 1)}`, endMs: Date.UTC(y, m + 1, 1) };
  const day = d.getUTCDate();
  if (window === 'day') return { id: `${y}-${pad(m + 1)}-${pad(day)}`, endMs: Date.UTC(y, m, day + 1) };
  const h = d.getUTCHours();
  return { id: `${y}-${pad(m + 1)}-${pad(day)}T${pad(h)}`, endMs: Date.UTC(y, m, day, h + 1) };
}

export interface RouteQuota {
  readonly window: QuotaWindow;
  readonly service: string;
  readonly limits: ReadonlyMap<string, number>;
  readonly fallback: number;
  readonly onStoreDown: StoreDownPolicy;
}

const UNLIMITED = Number.POSITIVE_INFINITY;

export function compileQuota(route: RouteConfig): RouteQuota | undefined {
  const q = route.quota;
  if (q === undefined) return undefined;
  const limit = (v: number | 'unlimited') => (v === 'unlimited' ? UNLIMITED : v);
  return {
    window: q.window,
    service: route.service,
    limits: new Map(Object.entries(q.plans).map(([plan, v]) => [plan, limit(v)])),
    fallback: limit(q.default),
    onStoreDown: q.onStoreDown,
  };
}

export async function checkQuota(
  kv: KeyValue,
  quota: RouteQuota,
  principal: Principal,
  ip: string,
  now: number,
  onStoreDown: StoreDownHandler,
): Promise<void> {
  const limit = (principal.plan !== undefined ? quota.limits.get(principal.plan) : undefined) ?? quota.fallback;
  if (limit === UNLIMITED) return;
  if (limit <= 0) throw new GatewayError('QUOTA_EXCEEDED', 'quota_zero');
  const { id, endMs } = quotaWindow(now, quota.window);
  const who = principal.ref === '' ? `ip:${ip}` : principal.ref;
  let count: number;
  try {
    count = await kv.incr(`quota:${quota.service}:${who}:${id}`, 1, Math.max(1000, endMs - now));
  } catch (err) {
    onStoreDown('quota', quota.onStoreDown, err);
    if (quota.onStoreDown === 'closed') {
      throw new GatewayError('DEPENDENCY_UNAVAILABLE', 'quota_store_unavailable', undefined, { cause: err });
    }
    return;
  }
  if (count > limit) throw new GatewayError('QUOTA_EXCEEDED', 'quota_exceeded');
}
