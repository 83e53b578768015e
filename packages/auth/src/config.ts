// Auth service configuration: one strict zod schema, all defaults here, validated once and deep-frozen.
// Sources: a YAML file (either the auth config at top level or under an `auth:` key) and/or environment
// variables (EDGEPASS_ISSUER, EDGEPASS_AUTH_HOST, EDGEPASS_AUTH_PORT, EDGEPASS_TRUST_PROXY, EDGEPASS_LOG_LEVEL).
// Secrets are never in the file: it names environment variables (`secretEnv`, `clientSecretEnv`).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { OWNER_SCOPES } from './api/index.ts';
import { AuthError } from './errors.ts';

const seconds = (max: number) => z.number().int().positive().max(max);
const slug = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, - and _ (max 63)');
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name');
const scopeToken = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope token');

const clientSchema = z
  .object({
    clientId: z.string().regex(/^[A-Za-z0-9._~-]{3,128}$/),
    name: z.string().min(1).max(200).optional(),
    /** Environment variable holding the client secret (confidential clients). */
    secretEnv: envName.optional(),
    public: z.boolean().default(false),
    redirectUris: z.array(z.url()).default([]),
    postLogoutRedirectUris: z.array(z.url()).default([]),
    grantTypes: z
      .array(z.enum(['authorization_code', 'refresh_token', 'client_credentials']))
      .min(1)
      .default(['authorization_code', 'refresh_token']),
    /** Space-separated scopes the client may request (default: every supported scope). */
    scope: z.string().max(2000).optional(),
    /** First-party clients skip the consent page. */
    firstParty: z.boolean().default(false),
    /** Roles put into client_credentials tokens issued to this client. */
    roles: z.array(z.string().min(1).max(64)).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.public && c.secretEnv)
      ctx.addIssue({ code: 'custom', path: ['secretEnv'], message: 'public clients have no secret' });
    if (!c.public && !c.secretEnv)
      ctx.addIssue({ code: 'custom', path: ['secretEnv'], message: 'required for confidential clients' });
    if (c.public && c.grantTypes.includes('client_credentials'))
      ctx.addIssue({ code: 'custom', path: ['grantTypes'], message: 'public clients cannot use client_credentials' });
    if (c.grantTypes.includes('authorization_code') && c.redirectUris.length === 0)
      ctx.addIssue({ code: 'custom', path: ['redirectUris'], message: 'required for authorization_code' });
  });

const providerSchema = z
  .object({
    id: slug,
    name: z.string().min(1).max(100).optional(),
    issuer: z.url(),
    clientId: z.string().min(1).max(256),
    /** Environment variable holding the client secret at the external IdP (omit for a public client). */
    clientSecretEnv: envName.optional(),
    scopes: z.array(scopeToken).default(['openid', 'email', 'profile']),
  })
  .strict();

const limitSchema = z
  .object({ points: z.number().int().positive().max(1_000_000), durationSec: seconds(86_400 * 7) })
  .strict();

export const authConfigSchema = z
  .object({
    /** Issuer identifier, e.g. https://auth.example.com (no trailing slash). */
    issuer: z.url().transform((u) => u.replace(/\/+$/, '')),
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(4000),
    /** Behind a reverse proxy: trust X-Forwarded-* (oidc-provider `proxy = true`, Fastify trustProxy). */
    trustProxy: z.boolean().default(false),
    /** The default resource (aud of every access token) that gateways check. */
    audience: z.string().min(1).max(200).default('edgepass-api'),
    signingAlg: z.enum(['ES256', 'RS256']).default('ES256'),
    ttl: z
      .object({
        accessTokenSec: seconds(86_400).default(600),
        refreshTokenSec: seconds(86_400 * 365).default(14 * 86_400),
        idTokenSec: seconds(86_400).default(3600),
        authorizationCodeSec: seconds(600).default(60),
        interactionSec: seconds(86_400).default(3600),
        sessionSec: seconds(86_400 * 365).default(14 * 86_400),
      })
      .strict()
      .prefault({}),
    /** Concurrent/duplicate refreshes with the same token within this window get the same response (0 = off). */
    refreshGraceSec: z.number().int().min(0).max(60).default(10),
    /** Plans users may carry; the first is the default for new accounts. */
    plans: z.array(slug).min(1).default(['free', 'premium']),
    /** Scopes beyond openid, offline_access, profile and email. */
    scopes: z.array(scopeToken).default([]),
    allowSignup: z.boolean().default(true),
    clients: z.array(clientSchema).default([]),
    providers: z.array(providerSchema).default([]),
    throttle: z
      .object({
        account: limitSchema.default({ points: 5, durationSec: 900 }),
        ip: limitSchema.default({ points: 50, durationSec: 900 }),
        signupIp: limitSchema.default({ points: 20, durationSec: 3600 }),
      })
      .strict()
      .prefault({}),
    cookies: z
      .object({
        session: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/)
          .default('ep_session'),
        /** `auto`: Secure when the issuer is https. */
        secure: z.union([z.boolean(), z.literal('auto')]).default('auto'),
      })
      .strict()
      .prefault({}),
    /** Scopes users may put on their own API keys through the owner API (admins may set any). */
    apiKeyScopes: z.array(scopeToken).default([]),
    /** `live` or `test`: the <env> in API keys (ep_<env>_...). */
    apiKeyEnv: z.enum(['live', 'test']).default('live'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const dup = (values: string[]) => values.find((v, i) => values.indexOf(v) !== i);
    const client = dup(c.clients.map((x) => x.clientId));
    if (client) ctx.addIssue({ code: 'custom', path: ['clients'], message: `duplicate clientId ${client}` });
    const provider = dup(c.providers.map((x) => x.id));
    if (provider) ctx.addIssue({ code: 'custom', path: ['providers'], message: `duplicate provider id ${provider}` });
    const plan = dup(c.plans);
    if (plan) ctx.addIssue({ code: 'custom', path: ['plans'], message: `duplicate plan ${plan}` });
  });

export type AuthConfigInput = z.input<typeof authConfigSchema>;
export type AuthConfig = Readonly<z.output<typeof authConfigSchema>>;
export type StaticClientConfig = AuthConfig['clients'][number];
export type ExternalProviderConfig = AuthConfig['providers'][number];

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/** Validates raw config (clone → validate → freeze). Throws AuthError AUTH_CONFIG_INVALID with path and reason. */
export function parseAuthConfig(input: unknown): AuthConfig {
  const result = authConfigSchema.safeParse(structuredClone(input));
  if (!result.success) {
    throw new AuthError('AUTH_CONFIG_INVALID', { reason: `invalid auth config: ${formatIssues(result.error)}` });
  }
  return deepFreeze(result.data);
}

function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (env.EDGEPASS_ISSUER) out.issuer = env.EDGEPASS_ISSUER;
  if (env.EDGEPASS_AUTH_HOST) out.host = env.EDGEPASS_AUTH_HOST;
  if (env.EDGEPASS_AUTH_PORT) out.port = Number(env.EDGEPASS_AUTH_PORT);
  if (env.EDGEPASS_TRUST_PROXY)
    out.trustProxy = env.EDGEPASS_TRUST_PROXY === 'true' || env.EDGEPASS_TRUST_PROXY === '1';
  if (env.EDGEPASS_LOG_LEVEL) out.logLevel = env.EDGEPASS_LOG_LEVEL;
  return out;
}

/** Reads the YAML file (if any), applies environment overrides and validates. */
export function loadAuthConfig(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): AuthConfig {
  const env = options.env ?? process.env;
  let fromFile: Record<string, unknown> = {};
  if (options.file) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(options.file, 'utf8'));
    } catch (cause) {
      throw new AuthError('AUTH_CONFIG_INVALID', {
        reason: `cannot read ${options.file}: ${(cause as Error).message}`,
        cause,
      });
    }
    if (parsed !== null && parsed !== undefined && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new AuthError('AUTH_CONFIG_INVALID', { reason: `${options.file}: expected a mapping at the top level` });
    }
    const doc = (parsed ?? {}) as Record<string, unknown>;
    fromFile = (typeof doc.auth === 'object' && doc.auth !== null ? doc.auth : doc) as Record<string, unknown>;
  }
  return parseAuthConfig({ ...fromFile, ...envOverrides(env) });
}

/** Reads a secret named by the config from the environment; undefined when unset or empty. */
export function secretFromEnv(env: NodeJS.ProcessEnv, name: string | undefined): string | undefined {
  if (!name) return undefined;
  const value = env[name];
  return value && value.length > 0 ? value : undefined;
}

/** Scopes of OpenID Connect itself (everything else is a scope of the default resource). */
export const OIDC_SCOPES = ['openid', 'offline_access', 'profile', 'email'];

/** Every scope the provider supports: OIDC's, the JSON API's owner scopes and the configured ones. */
export function supportedScopes(config: AuthConfig): string[] {
  return [...new Set([...OIDC_SCOPES, ...Object.values(OWNER_SCOPES), ...config.scopes])];
}

/** How long an oidc-provider grant (and the records kept per grant) lives. */
export function grantTtlSec(config: AuthConfig): number {
  return Math.max(config.ttl.refreshTokenSec, config.ttl.sessionSec);
}

/** The longest lifetime of any token signed with an access_token key: retired keys stay published this long. */
export function keyRetireAfterSec(config: AuthConfig): number {
  return Math.max(config.ttl.accessTokenSec, config.ttl.idTokenSec) + 60;
}

export function cookiesSecure(config: AuthConfig): boolean {
  return config.cookies.secure === 'auto' ? config.issuer.startsWith('https:') : config.cookies.secure;
}
