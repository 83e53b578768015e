// The auth service's JSON API (API keys, usage, admin), registered on the auth service's Fastify app by
// app.ts. Owned by the API-keys/usage work; app.ts only calls registerJsonApi.
import type { Store } from '@edgepass/store';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

/** Who called, from a verified access token issued by this auth service. */
export interface AccessTokenPrincipal {
  sub: string;
  clientId?: string;
  scopes: ReadonlySet<string>;
  roles: readonly string[];
  plan?: string;
  jti?: string;
}

export interface JsonApiDeps {
  store: Store;
  logger: FastifyBaseLogger;
  /** Verifies a Bearer access token of this auth service (alg allow-list, iss, aud, exp, nbf, jti denylist).
   * Rejects with an error whose `code` is from errors.ts when the token is not acceptable. */
  verifyAccessToken(token: string): Promise<AccessTokenPrincipal>;
  /** `live` or `test`: the <env> in ep_<env>_<random> */
  apiKeyEnv: string;
  /** The plan names users may carry (first is the default). */
  plans: readonly string[];
  now?: () => Date;
}

export async function registerJsonApi(_app: FastifyInstance, _deps: JsonApiDeps): Promise<void> {
  // filled in by the API-keys/usage work
}
