// A validated config compiled into what the request path needs: the route table in match order,
// authenticators per route, requirement/limit/quota checks, header-name sets, metric children. The
// compiled object is swapped atomically on reload; a request keeps the one it started with.
import type { Store } from '@edgepass/store';
import type { Logger } from 'pino';
import type { GatewayMetrics, RouteMetrics } from './admin/metrics.ts';
import { AccessTokenAuthenticator } from './authn/access-token.ts';
import { anonymousAuthenticator } from './authn/anonymous.ts';
import { ApiKeyAuthenticator } from './authn/api-key.ts';
import type { CredentialNames } from './authn/credential.ts';
import { SessionAuthenticator } from './authn/session.ts';
import type { Authenticator } from './authn/types.ts';
import { compileRequirement, type Requirement } from './authz/authorize.ts';
import { deepFreeze } from './config/freeze.ts';
import type { CredentialKind, GatewayConfig, RouteConfig } from './config/schema.ts';
import { compileQuota, type RouteQuota } from './limits/quota.ts';
import { compileRateLimit, type Limiters, type RouteRateLimit } from './limits/rate-limit.ts';
import { createUpstream, type Upstream } from './proxy/index.ts';
import type { SharedResources } from './shared-resources.ts';

/** What compiled configs share for the lifetime of the gateway. */
export interface GatewayServices {
  readonly store: Store;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly now: () => number;
  readonly limiters: Limiters;
  readonly resources: SharedResources;
  /** records API-key use (last_used_at, unix ms), written in batches */
  readonly touchApiKey: ((id: string, atMs: number) => void) | undefined;
}

export interface CompiledRoute {
  readonly name: string;
  readonly service: string;
  readonly host: string | undefined;
  readonly pathPrefix: string;
  readonly methods: ReadonlySet<string> | undefined;
  readonly stripPrefix: boolean;
  readonly upstream: Upstream;
  /** `credentials: passthrough`: no credential is looked at; Authorization, API-key headers and the session
   *  cookie reach the upstream untouched (the auth service itself); the caller is anonymous to the gateway */
  readonly passthrough: boolean;
  /** request headers never forwarded: the credentials the gateway consumes (none on passthrough routes) and
   *  any client-sent x-passport */
  readonly removeHeaders: ReadonlySet<string>;
  /** the same plus tracestate, for requests whose trace the gateway restarts */
  readonly removeHeadersNewTrace: ReadonlySet<string>;
  /** the cookie removed before proxying (the session cookie), undefined on passthrough routes */
  readonly removeCookie: string | undefined;
  /** in the order of the route's `accept` list */
  readonly authenticators: readonly Authenticator[];
  readonly acceptsSession: boolean;
  readonly requirement: Requirement | undefined;
  readonly rateLimit: RouteRateLimit | undefined;
  /** per-API-key limits apply with the route's store-down policy (closed when the route has none) */
  readonly keyLimitPolicy: 'open' | 'closed';
  readonly quota: RouteQuota | undefined;
  readonly metrics: RouteMetrics;
}

export interface Runtime {
  readonly config: GatewayConfig;
  /** match order: routes with a host first, then longer path prefixes */
  readonly routes: readonly CompiledRoute[];
  readonly routesUseHost: boolean;
  readonly credentialNames: CredentialNames;
  /** authenticators that must be ready before the gateway is (issuer keys fetched once) */
  readonly readiness: readonly Authenticator[];
  /** requests in flight on this config */
  active: number;
  /** set when a newer config replaced this one */
  retired: boolean;
  /** releases this config's shared resources (once no request uses it) */
  release(): Promise<void>;
}

function stableKey(prefix: string, value: unknown): string {
  return `${prefix}:${JSON.stringify(value)}`;
}

function routeOrder(a: CompiledRoute, b: CompiledRoute): number {
  if ((a.host === undefined) !== (b.host === undefined)) return a.host === undefined ? 1 : -1;
  return b.pathPrefix.length - a.pathPrefix.length;
}

/** Compiles a config. New authenticators fetch their keys before this resolves (bounded by fetch timeouts). */
export async function compileRuntime(config: GatewayConfig, services: GatewayServices): Promise<Runtime> {
  const { resources, store, logger, now } = services;
  const acquired: string[] = [];
  const starting: Promise<void>[] = [];
  const acquire = <T>(key: string, create: () => T, close: (value: T) => unknown): T => {
    const { value, created } = resources.acquire(key, create, close);
    acquired.push(key);
    if (created && value instanceof AccessTokenAuthenticator) starting.push(value.start());
    return value;
  };

  const authenticators = new Map<CredentialKind, Authenticator>();
  authenticators.set('anonymous', anonymousAuthenticator);
  const { revalidateAfter } = config.credentials;
  if (config.issuers.length > 0) {
    const at = config.credentials.accessToken;
    authenticators.set(
      'access_token',
      acquire(
        stableKey('authn:access_token', { issuers: config.issuers, at, revalidateAfter }),
        () =>
          new AccessTokenAuthenticator({
            issuers: config.issuers,
            cacheSize: at.cacheSize,
            revalidateAfter,
            kv: store.fast.kv,
            logger,
            now,
            onJwksFetch: (issuer, outcome) => services.metrics.jwksFetches.labels(issuer, outcome).inc(),
          }),
        (a) => a.close(),
      ),
    );
  }
  const usesKind = (kind: CredentialKind) => config.routes.some((r) => r.accept.includes(kind));
  if (usesKind('api_key')) {
    const c = config.credentials.apiKey;
    authenticators.set(
      'api_key',
      acquire(
        stableKey('authn:api_key', { c, revalidateAfter }),
        () => new ApiKeyAuthenticator({ ...c, revalidateAfter, sql: store.sql, now, touch: services.touchApiKey }),
        () => {},
      ),
    );
  }
  if (usesKind('session')) {
    const c = config.credentials.session;
    const scope = config.passport.sessionScope;
    authenticators.set(
      'session',
      acquire(
        stableKey('authn:session', { c, scope, revalidateAfter }),
        () => new SessionAuthenticator({ ...c, revalidateAfter, sql: store.sql, now, scope }),
        () => {},
      ),
    );
  }

  const sessionCookie = config.credentials.session.cookie;
  const consumed = new Set(['authorization', 'x-passport', ...config.credentials.apiKey.headers]);
  const passedThrough = new Set(['x-passport']);
  const withTracestate = (set: ReadonlySet<string>) => new Set([...set, 'tracestate']);
  const consumedNewTrace = withTracestate(consumed);
  const passedThroughNewTrace = withTracestate(passedThrough);

  const compileRoute = (route: RouteConfig): CompiledRoute => {
    const u = route.upstream;
    const upstream = acquire(
      stableKey(`upstream:${route.name}`, u),
      () =>
        createUpstream({
          name: route.name,
          targets: [...u.targets],
          timeoutMs: u.timeout,
          connectTimeoutMs: u.connectTimeout,
          connections: u.connections,
          passiveHealth: u.passiveHealth && {
            failures: u.passiveHealth.failures,
            cooldownMs: u.passiveHealth.cooldown,
          },
        }),
      (up) => up.close(),
    );
    const routeAuthenticators: Authenticator[] = [];
    for (const kind of route.accept) {
      const a = authenticators.get(kind);
      if (a !== undefined) routeAuthenticators.push(a);
    }
    const passthrough = route.credentials === 'passthrough';
    return {
      name: route.name,
      service: route.service,
      host: route.match.host,
      pathPrefix: route.match.pathPrefix,
      methods: route.match.methods ? new Set(route.match.methods) : undefined,
      stripPrefix: u.stripPrefix,
      upstream,
      passthrough,
      removeHeaders: passthrough ? passedThrough : consumed,
      removeHeadersNewTrace: passthrough ? passedThroughNewTrace : consumedNewTrace,
      removeCookie: passthrough ? undefined : sessionCookie,
      authenticators: routeAuthenticators,
      acceptsSession: route.accept.includes('session'),
      requirement: compileRequirement(route),
      rateLimit: compileRateLimit(route, services.limiters),
      keyLimitPolicy: route.rateLimit?.onStoreDown ?? 'closed',
      quota: compileQuota(route),
      metrics: services.metrics.route(route.name),
    };
  };

  let routes: CompiledRoute[];
  try {
    routes = config.routes.map(compileRoute).sort(routeOrder);
    await Promise.all(starting);
  } catch (err) {
    await Promise.allSettled(acquired.map((key) => resources.release(key)));
    throw err;
  }

  let released = false;
  const runtime: Runtime = {
    config,
    routes: deepFreeze(routes),
    routesUseHost: routes.some((r) => r.host !== undefined),
    credentialNames: Object.freeze({
      apiKeyScheme: config.credentials.apiKey.authorizationScheme.toLowerCase(),
      apiKeyHeaders: config.credentials.apiKey.headers,
      sessionCookie,
    }),
    readiness: [...authenticators.values()].filter((a) => a.ready !== undefined),
    active: 0,
    retired: false,
    async release() {
      if (released) return;
      released = true;
      await Promise.allSettled(acquired.map((key) => resources.release(key)));
    },
  };
  return runtime;
}

/** Whether `url` (path + query) is under `prefix`: `/api` matches `/api`, `/api/x`, `/api?q`, not `/apix`. */
export function underPrefix(url: string, prefix: string): boolean {
  if (!url.startsWith(prefix)) return false;
  if (url.length === prefix.length || prefix.endsWith('/')) return true;
  const next = url.charCodeAt(prefix.length);
  return next === 47 /* / */ || next === 63 /* ? */;
}

/** The first route (in match order) for a request, or undefined. */
export function matchRoute(
  runtime: Runtime,
  method: string,
  url: string,
  host: string | undefined,
): CompiledRoute | undefined {
  let hostname: string | undefined;
  if (runtime.routesUseHost && host !== undefined) hostname = host.toLowerCase();
  for (const route of runtime.routes) {
    if (route.host !== undefined) {
      if (hostname === undefined) continue;
      if (route.host !== hostname && !(hostname.startsWith(route.host) && hostname[route.host.length] === ':'))
        continue;
    }
    if (!underPrefix(url, route.pathPrefix)) continue;
    if (route.methods !== undefined && !route.methods.has(method)) continue;
    return route;
  }
  return undefined;
}

/** The path sent upstream: with stripPrefix, the part after the route's prefix (always starting with /). */
export function upstreamPath(route: CompiledRoute, url: string): string {
  if (!route.stripPrefix || route.pathPrefix === '/') return url;
  const rest = url.slice(route.pathPrefix.endsWith('/') ? route.pathPrefix.length - 1 : route.pathPrefix.length);
  return rest.length === 0 || rest.charCodeAt(0) === 63 /* ? */ ? `/${rest}` : rest;
}

const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/**
 * Paths with dot segments (also percent-encoded, or hidden behind an encoded slash or a backslash) are
 * refused: an upstream that normalizes `/public/../admin` would otherwise serve a route the gateway
 * never authorized.
 */
export function hasDotSegment(url: string): boolean {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (!path.includes('.') && !path.includes('%') && !path.includes('\\')) return false;
  const normalized = path.replace(/%2e/gi, '.').replace(/%2f|%5c|\\/gi, '/');
  return DOT_SEGMENT.test(normalized);
}
