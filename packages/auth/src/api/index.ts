// The auth service's JSON API (API keys, usage, admin), registered on the auth service's Fastify app by
// app.ts. Owned by the API-keys/usage work; app.ts only calls registerJsonApi.
import type { Store } from '@edgepass/store';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyTypeProvider,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import { Accounts } from '../accounts/accounts.ts';
import { isApiKeyEnv } from '../apikeys/format.ts';
import { apiKeyService } from '../apikeys/service.ts';
import { handleJsonApiError, notFound } from './http-errors.ts';
import { openApiDocument } from './openapi.ts';
import { type AnyRoute, registerRoute } from './route.ts';
import { accountRoutes } from './routes/account.ts';
import { adminRoutes } from './routes/admin.ts';
import type { RouteContext } from './routes/context.ts';
import { metaRoutes } from './routes/meta.ts';
import { ownerKeyRoutes } from './routes/owner-keys.ts';

export { JSON_API_ERROR_CODES, JSON_API_ERRORS, JsonApiError, type JsonApiErrorCode } from '../errors.ts';
export { ADMIN_ROLE, OWNER_SCOPES } from './caller.ts';

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
  /** Scopes a user may put on their own keys through the owner API (default: none). Admins may set any. */
  apiKeyScopes?: readonly string[];
  /** Active (unrevoked, unexpired) keys one user may hold (default 100). */
  maxActiveKeysPerOwner?: number;
  /** `info.version` of the OpenAPI document (default `1.0.0`). */
  apiVersion?: string;
}

const PREFIXES = ['/api', '/admin/api'] as const;

/** Whether a request URL belongs to the JSON API (answered with API_* codes). */
export function isJsonApiUrl(url: string): boolean {
  return PREFIXES.some((prefix) => url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`));
}

/** Every route of the JSON API, in OpenAPI order. */
export function jsonApiRoutes(deps: JsonApiDeps): AnyRoute[] {
  const env = deps.apiKeyEnv;
  if (!isApiKeyEnv(env)) throw new TypeError('JsonApiDeps.apiKeyEnv must be "live" or "test"');
  if (deps.plans.length === 0) throw new TypeError('JsonApiDeps.plans must name at least one plan');
  const now = deps.now ?? (() => new Date());
  const ctx: RouteContext = {
    deps,
    now,
    keys: apiKeyService({
      sql: deps.store.sql,
      pubsub: deps.store.fast.pubsub,
      env,
      logger: deps.logger,
      now,
      maxActiveKeysPerOwner: deps.maxActiveKeysPerOwner,
    }),
    accounts: new Accounts({ store: deps.store, plans: deps.plans, logger: deps.logger }),
  };
  let document: unknown;
  const routes: AnyRoute[] = [
    ...ownerKeyRoutes(ctx),
    ...accountRoutes(ctx),
    ...adminRoutes(ctx),
    ...metaRoutes(() => document),
  ];
  document = openApiDocument(routes, { version: deps.apiVersion ?? '1.0.0' });
  return routes;
}

/** Accepts the app whatever its logger type (e.g. `loggerInstance: pino(...)`) and type provider. */
export async function registerJsonApi<Logger extends FastifyBaseLogger, Provider extends FastifyTypeProvider>(
  app: FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, Logger, Provider>,
  deps: JsonApiDeps,
): Promise<void> {
  const routes = jsonApiRoutes(deps);
  // the plugin only logs through request.log's FastifyBaseLogger methods and declares no typed schemas
  const root = app as unknown as FastifyInstance;
  for (const prefix of PREFIXES) {
    await root.register(
      async (scope) => {
        // JSON only: form or text bodies registered elsewhere on the app are refused here (415)
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser(
          'application/json',
          { parseAs: 'string' },
          scope.getDefaultJsonParser('error', 'error'),
        );
        scope.setErrorHandler(handleJsonApiError);
        scope.setNotFoundHandler(notFound);
        for (const route of routes) {
          if (route.url.startsWith(`${prefix}/`)) registerRoute(scope, prefix, route, deps);
        }
      },
      { prefix },
    );
  }
}
