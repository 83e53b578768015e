// Verifier options from the environment, for a service that runs on its own: the gateway's passport JWKS
// URL, its id (`iss`) and this service's name (`aud`), with the service's own name as the default audience.
import { httpUrl } from './lib/url.ts';

/** The environment variables verifierOptionsFromEnv reads. */
export const PASSPORT_ENV = {
  jwksUrl: 'EDGEPASS_PASSPORT_JWKS_URL',
  issuer: 'EDGEPASS_PASSPORT_ISSUER',
  audience: 'EDGEPASS_PASSPORT_AUDIENCE',
} as const;

/** Options for createPassportVerifier (or an adapter's `verifier`) read from the environment. */
export interface PassportEnvOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function value(env: Env, name: string): string | undefined {
  const text = env[name];
  return text === undefined || text.trim() === '' ? undefined : text;
}

function required(env: Env, name: string, what: string, fallback?: string): string {
  const text = value(env, name) ?? fallback;
  if (text === undefined) throw new TypeError(`${name} is required: ${what}`);
  return text;
}

/**
 * Reads EDGEPASS_PASSPORT_JWKS_URL (an absolute http(s) URL), EDGEPASS_PASSPORT_ISSUER and
 * EDGEPASS_PASSPORT_AUDIENCE (default `defaultAudience`, usually the service's name) from `env` (default
 * `process.env` where there is one). A missing, blank or invalid variable throws a TypeError that names it.
 */
export function verifierOptionsFromEnv(
  env: Env = globalThis.process?.env ?? {},
  defaultAudience?: string,
): PassportEnvOptions {
  if (typeof env !== 'object' || env === null) throw new TypeError('env must be an object');
  if (defaultAudience !== undefined && (typeof defaultAudience !== 'string' || defaultAudience === '')) {
    throw new TypeError('defaultAudience must be a non-empty string');
  }
  const jwksUrl = required(
    env,
    PASSPORT_ENV.jwksUrl,
    "the gateway's passport JWKS URL (/.well-known/passport-jwks.json on its admin listener)",
  );
  httpUrl(jwksUrl, PASSPORT_ENV.jwksUrl);
  return {
    jwksUrl,
    issuer: required(env, PASSPORT_ENV.issuer, 'the id of the gateway that mints the passports (their iss)'),
    audience: required(env, PASSPORT_ENV.audience, "this service's name (the passports' aud)", defaultAudience),
  };
}
