// The edge pipeline for one matched request: authenticate → authorize → rate limit → quota → passport.
// On a warm cache every step is synchronous (Map lookups); only rate limits, quotas and cache misses await.
import type { IncomingHttpHeaders } from 'node:http';
import type { RateLimitResult } from '@edgepass/store';
import { NO_CREDENTIAL, presentedCredential } from './authn/credential.ts';
import { type AuthnContext, NOT_RESPONSIBLE, type PresentedCredential, type Principal } from './authn/types.ts';
import { authorize } from './authz/authorize.ts';
import { AuthnError } from './errors.ts';
import { checkQuota } from './limits/quota.ts';
import { consume, rateLimitKey, type StoreDownHandler, tighter } from './limits/rate-limit.ts';
import type { PassportCache } from './passport/cache.ts';
import type { CompiledRoute, GatewayServices, Runtime } from './runtime.ts';

export interface PipelineDeps {
  readonly services: GatewayServices;
  readonly passports: PassportCache;
  /** counts a request of a principal for a service (store's UsageRecorder, batched) */
  readonly recordUsage: ((principal: string, service: string, at: number) => void) | undefined;
  readonly onStoreDown: StoreDownHandler;
}

export interface Admission {
  readonly principal: Principal;
  readonly passport: string;
  /** the tightest rate limit that applied, for RateLimit-* response headers */
  readonly rateLimit: RateLimitResult | undefined;
}

function authenticate(
  route: CompiledRoute,
  credential: PresentedCredential,
  now: number,
): Principal | Promise<Principal> {
  const ctx: AuthnContext = { credential, now };
  for (const authenticator of route.authenticators) {
    const result = authenticator.authenticate(ctx);
    if (result !== NOT_RESPONSIBLE) return result;
  }
  throw new AuthnError(credential.kind === 'none' ? 'missing' : 'not_accepted');
}

export async function admit(
  deps: PipelineDeps,
  runtime: Runtime,
  route: CompiledRoute,
  headers: IncomingHttpHeaders,
  ip: string,
): Promise<Admission> {
  const { services } = deps;
  const now = services.now();
  let method: string = 'unknown';
  let principal: Principal;
  try {
    // a passthrough route's upstream authenticates callers itself: the gateway does not look at credentials
    const credential = route.passthrough
      ? NO_CREDENTIAL
      : presentedCredential(headers, runtime.credentialNames, route.acceptsSession);
    method = credential.kind;
    const result = authenticate(route, credential, now);
    principal = result instanceof Promise ? await result : result;
  } catch (err) {
    if (err instanceof AuthnError) services.metrics.authnOutcome(method, err.authnReason);
    throw err;
  }
  services.metrics.authnOutcome(principal.via, 'ok');

  if (route.requirement !== undefined) authorize(principal, route.requirement);

  let rateLimit: RateLimitResult | undefined;
  if (principal.rateLimitPerMinute !== undefined) {
    const limiter = services.limiters.get('rl:api_key', principal.rateLimitPerMinute, 60);
    rateLimit = await consume(limiter, principal.ref, route.keyLimitPolicy, deps.onStoreDown);
  }
  const rl = route.rateLimit;
  if (rl !== undefined) {
    const result = await consume(rl.limiter, rateLimitKey(rl.by, principal, ip), rl.onStoreDown, deps.onStoreDown);
    rateLimit = tighter(rateLimit, result);
  }
  if (route.quota !== undefined) {
    await checkQuota(services.store.fast.kv, route.quota, principal, ip, now, deps.onStoreDown);
  }

  const passport = deps.passports.passportFor(principal, route.service, now);
  if (principal.ref !== '' && deps.recordUsage !== undefined) deps.recordUsage(principal.ref, route.service, now);
  return { principal, passport, rateLimit };
}
