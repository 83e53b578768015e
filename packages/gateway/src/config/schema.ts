// The schema of edgepass.yaml (zod, strict: unknown keys are errors). `GatewayConfig` is the validated
// shape with every default applied; docs/config.md documents each field and edgepass.schema.json is
// generated from this file (npm run schema -w packages/gateway).
import { z } from 'zod';
import { parseAddressRange } from '../client-address.ts';
import { DURATION_PATTERN, parseDuration } from './duration.ts';

/** JWKS-verified access tokens: asymmetric algorithms only (an HMAC "key" from a JWKS would be public). */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const CREDENTIAL_KINDS = ['access_token', 'api_key', 'session', 'anonymous'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

const DURATION_HINT = 'expected a duration such as "500ms", "30s", "5m", "1d" or a number of milliseconds';

function formatMs(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0 && ms >= size) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A duration ("30s", "5m", or ms) → milliseconds, within [min, max]. */
function duration(bounds: { min?: number; max?: number } = {}) {
  return z
    .union([z.number().int().min(0), z.string().regex(DURATION_PATTERN, { error: DURATION_HINT })], {
      error: DURATION_HINT,
    })
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.issues.push({ code: 'custom', message: DURATION_HINT, input: value });
        return z.NEVER;
      }
      if (bounds.min !== undefined && ms < bounds.min) {
        ctx.issues.push({ code: 'custom', message: `must be at least ${formatMs(bounds.min)}`, input: value });
        return z.NEVER;
      }
      if (bounds.max !== undefined && ms > bounds.max) {
        ctx.issues.push({ code: 'custom', message: `must be at most ${formatMs(bounds.max)}`, input: value });
        return z.NEVER;
      }
      return ms;
    });
}

/** An integer, also accepted as a string of digits (values interpolated from ${ENV} are strings). */
function integer(min: number, max: number) {
  return z
    .union([z.number(), z.string().regex(/^\d+$/, { error: 'expected an integer' })], { error: 'expected an integer' })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'expected 1-64 letters, digits, ".", "_" or "-"' });
const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: 'expected an HTTP header name' })
  .transform((h) => h.toLowerCase());
const httpUrl = z.url({ protocol: /^https?$/, error: 'Invalid URL' });
const nonEmpty = z.string().min(1, { error: 'must not be empty' });

const listenSchema = z.strictObject({
  public: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: integer(0, 65535).default(8080),
      tls: z.strictObject({ certFile: nonEmpty, keyFile: nonEmpty }).optional(),
      trustedProxies: z
        .array(
          z.string().refine((value) => parseAddressRange(value) !== undefined, {
            error: 'expected an IPv4 or IPv6 address, or a CIDR range such as 10.0.0.0/8 or fd00::/8',
          }),
        )
        .default([])
        .describe('load balancers whose X-Forwarded-For is believed (IPs or CIDR ranges; default none)'),
    })
    .prefault({}),
  admin: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: integer(0, 65535).default(9090),
    })
    .prefault({}),
});

const issuerSchema = z
  .strictObject({
    id: name,
    issuer: z.string().min(1, { error: 'must not be empty' }).describe("exactly the tokens' iss"),
    jwksUri: httpUrl.optional().describe('the JWKS URL (or discovery: true)'),
    discovery: z.boolean().default(false).describe('read jwks_uri from <issuer>/.well-known/openid-configuration'),
    audiences: z.array(nonEmpty).min(1, { error: 'list at least one audience' }),
    algorithms: z
      .array(
        z.enum(ASYMMETRIC_ALGORITHMS, {
          error: (issue) =>
            `${JSON.stringify(issue.input)} is not allowed: issuers verify with asymmetric algorithms only (${ASYMMETRIC_ALGORITHMS.join(', ')})`,
        }),
      )
      .min(1, { error: 'list at least one algorithm (there is no default)' })
      .describe('allowed token algorithms (asymmetric only, no default)'),
    clockSkew: duration({ max: 300_000 }).default(30_000).describe('tolerance on exp/nbf (default 30s, max 5m)'),
    requireTyp: nonEmpty.optional().describe('required typ header, e.g. at+jwt'),
    /** Minimum time between two JWKS fetches triggered by an unknown kid. */
    cooldown: duration({ min: 1000, max: 3_600_000 }).default(30_000),
    /** Periodic JWKS refresh. */
    refreshInterval: duration({ min: 10_000 }).default(600_000),
    fetchTimeout: duration({ min: 100, max: 60_000 }).default(5000),
  })
  .superRefine((issuer, ctx) => {
    if (issuer.jwksUri && issuer.discovery) {
      ctx.addIssue({ code: 'custom', path: ['discovery'], message: 'set either jwksUri or discovery: true, not both' });
    } else if (!issuer.jwksUri && !issuer.discovery) {
      ctx.addIssue({ code: 'custom', path: ['jwksUri'], message: 'set jwksUri, or discovery: true' });
    }
    if (issuer.discovery && !URL.canParse(issuer.issuer)) {
      ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'discovery needs the issuer to be a URL' });
    }
  });

const credentialsSchema = z.strictObject({
  revalidateAfter: duration({ min: 1000, max: 3_600_000 })
    .default(30_000)
    .describe('a cached credential is re-checked against revocations at most this long after its last check'),
  accessToken: z
    .strictObject({
      /** Verified tokens kept in memory (each until its own exp). */
      cacheSize: integer(1, 10_000_000).default(100_000),
    })
    .prefault({}),
  apiKey: z
    .strictObject({
      headers: z.array(headerName).min(1).default(['x-api-key']),
      authorizationScheme: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9-]*$/)
        .default('ApiKey'),
      cacheTtl: duration({ max: 3_600_000 }).default(30_000),
      negativeCacheTtl: duration({ max: 300_000 }).default(5000),
      cacheSize: integer(1, 10_000_000).default(10_000),
    })
    .prefault({}),
  session: z
    .strictObject({
      cookie: z
        .string()
        .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: 'expected a cookie name' })
        .default('ep_session'),
      cacheTtl: duration({ max: 3_600_000 }).default(30_000),
      negativeCacheTtl: duration({ max: 300_000 }).default(5000),
      cacheSize: integer(1, 10_000_000).default(10_000),
    })
    .prefault({}),
});

const rateLimitSchema = z.strictObject({
  limit: integer(1, 1_000_000_000),
  window: duration({ min: 1000, max: 86_400_000 }).refine((ms) => ms % 1000 === 0, {
    error: 'must be a whole number of seconds',
  }),
  by: z.enum(['principal', 'api_key', 'ip']).default('principal'),
  onStoreDown: z.enum(['open', 'closed']).default('closed').describe('Redis down: open allows, closed answers 503'),
});

const quotaLimit = z.union([integer(0, Number.MAX_SAFE_INTEGER), z.literal('unlimited')], {
  error: 'expected a number of requests or "unlimited"',
});

const quotaSchema = z.strictObject({
  window: z.enum(['hour', 'day', 'month']).describe('UTC calendar window'),
  plans: z.record(nonEmpty, quotaLimit).describe('requests per window by plan name'),
  /** For principals whose plan is not listed (and anonymous callers). */
  default: quotaLimit.default(0),
  onStoreDown: z.enum(['open', 'closed']).default('closed'),
});

const routeSchema = z
  .strictObject({
    name,
    match: z.strictObject({
      host: z
        .string()
        .regex(/^[A-Za-z0-9.-]+(:\d+)?$/, { error: 'expected a host name' })
        .transform((h) => h.toLowerCase())
        .optional(),
      pathPrefix: z
        .string()
        .regex(/^\/[^\s?#]*$/, { error: 'expected a path starting with "/"' })
        .describe('matches whole path segments'),
      methods: z.array(z.enum(HTTP_METHODS)).min(1).optional(),
    }),
    /** The passport audience: the name of the service behind this route. */
    service: name.describe('the passport aud: the service behind this route'),
    upstream: z.strictObject({
      targets: z
        .array(httpUrl)
        .min(1, { error: 'list at least one target' })
        .describe('round robin over healthy targets'),
      timeout: duration({ min: 1, max: 3_600_000 })
        .default(30_000)
        .describe('no response headers within this → 504; also the longest silence in a stream'),
      connectTimeout: duration({ min: 1, max: 60_000 }).default(5000),
      stripPrefix: z.boolean().default(false).describe('send the path without pathPrefix'),
      connections: integer(1, 10_000).optional(),
      passiveHealth: z
        .strictObject({
          failures: integer(1, 1000).default(3),
          cooldown: duration({ min: 100, max: 3_600_000 }).default(10_000),
        })
        .optional(),
    }),
    credentials: z
      .enum(['verify', 'passthrough'])
      .default('verify')
      .describe(
        'passthrough: the upstream authenticates callers itself (the auth service); credentials pass untouched',
      ),
    accept: z
      .array(z.enum(CREDENTIAL_KINDS))
      .describe('credential kinds this route accepts')
      .min(1, { error: 'list at least one credential kind' })
      .refine((list) => new Set(list).size === list.length, { error: 'lists a credential kind twice' }),
    require: z
      .strictObject({
        scopes: z.array(nonEmpty).optional(),
        roles: z.array(nonEmpty).optional(),
        plans: z.array(nonEmpty).optional(),
      })
      .optional(),
    rateLimit: rateLimitSchema.optional(),
    quota: quotaSchema.optional(),
  })
  .superRefine((route, ctx) => {
    const passthrough = route.credentials === 'passthrough';
    if (passthrough && (route.accept.length !== 1 || route.accept[0] !== 'anonymous')) {
      ctx.addIssue({
        code: 'custom',
        path: ['accept'],
        message: 'a route with credentials: passthrough verifies no credential: it must accept [anonymous] only',
      });
    }
    if (route.require && passthrough) {
      ctx.addIssue({
        code: 'custom',
        path: ['require'],
        message: 'a route with credentials: passthrough cannot require scopes, roles or plans',
      });
    } else if (route.require && route.accept.includes('anonymous')) {
      ctx.addIssue({
        code: 'custom',
        path: ['require'],
        message: 'a route that accepts anonymous callers cannot require scopes, roles or plans',
      });
    }
  });

export const configSchema = z
  .strictObject({
    gateway: z.strictObject({
      /** Passport `iss`; the same on every instance of one deployment. */
      id: nonEmpty.describe('the passport iss; the same on every instance of one deployment'),
      workers: z
        .union([integer(1, 1024), z.literal('auto')], { error: 'expected a number of workers or "auto"' })
        .default(1)
        .describe('1, a number, or auto (one process per core)'),
      /** How long a graceful shutdown waits for in-flight requests. */
      shutdownGrace: duration({ max: 600_000 }).default(10_000),
    }),
    listen: listenSchema.prefault({}),
    passport: z
      .strictObject({
        alg: z
          .enum(['EdDSA', 'HS256'])
          .default('EdDSA')
          .describe('EdDSA (keys in the store) or HS256 (secret from EDGEPASS_PASSPORT_SECRET)'),
        ttl: duration({ min: 5000, max: 3_600_000 }).default(60_000).describe('passport lifetime'),
        /** `scope` claim of passports minted for browser sessions (sessions carry no scope of their own). */
        sessionScope: z.string().default(''),
      })
      .prefault({}),
    issuers: z.array(issuerSchema).default([]),
    credentials: credentialsSchema.prefault({}),
    routes: z.array(routeSchema).min(1, { error: 'define at least one route' }),
    logging: z
      .strictObject({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        access: z.boolean().default(true).describe('one log line per request'),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    const uniqueBy = <T>(list: readonly T[], key: (item: T) => string, path: string, field: string) => {
      const seen = new Map<string, number>();
      list.forEach((item, i) => {
        const k = key(item);
        const first = seen.get(k);
        if (first === undefined) seen.set(k, i);
        else
          ctx.addIssue({ code: 'custom', path: [path, i, field], message: `duplicate of ${path}[${first}].${field}` });
      });
    };
    uniqueBy(config.routes, (r) => r.name, 'routes', 'name');
    uniqueBy(config.issuers, (i) => i.id, 'issuers', 'id');
    uniqueBy(config.issuers, (i) => i.issuer, 'issuers', 'issuer');
    config.routes.forEach((route, i) => {
      if (route.accept.includes('access_token') && config.issuers.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'accept'],
          message: 'accepts access_token but no issuers are configured',
        });
      }
    });
  });

/** edgepass.yaml as written (before defaults). */
export type GatewayConfigInput = z.input<typeof configSchema>;
/** Validated edgepass.yaml, every default applied, durations in ms. */
export type GatewayConfig = z.output<typeof configSchema>;
export type IssuerConfig = GatewayConfig['issuers'][number];
export type RouteConfig = GatewayConfig['routes'][number];
