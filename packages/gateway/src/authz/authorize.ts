// Authorization per route: every required scope, at least one of the required roles, one of the
// allowed plans. A refusal is 403 with an RFC 6750 `insufficient_scope` challenge; the challenge names the
// scopes only when a scope is what is missing, and the problem code says which requirement failed.
import type { Principal } from '../authn/types.ts';
import { challenge } from '../challenge.ts';
import type { RouteConfig } from '../config/schema.ts';
import { GatewayError } from '../errors.ts';

export interface Requirement {
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  readonly plans: ReadonlySet<string> | undefined;
  /** the WWW-Authenticate header of a missing-scope refusal (naming the scopes), built once */
  readonly scopeHeaders: Readonly<Record<string, string>>;
}

export function compileRequirement(route: RouteConfig): Requirement | undefined {
  const r = route.require;
  if (r === undefined) return undefined;
  const scopes = r.scopes ?? [];
  return {
    scopes,
    roles: r.roles ?? [],
    plans: r.plans ? new Set(r.plans) : undefined,
    scopeHeaders: { 'www-authenticate': challenge('insufficient_scope', scopes.join(' ')) },
  };
}

/** A role or plan refusal: the token's scopes are not the problem, so the challenge names none. */
const PRIVILEGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'www-authenticate': challenge('insufficient_scope'),
});

/** Throws 403 when the principal does not meet the requirement; the reason is for the log. */
export function authorize(principal: Principal, requirement: Requirement): void {
  for (const scope of requirement.scopes) {
    if (!principal.scopes.has(scope))
      throw new GatewayError('INSUFFICIENT_SCOPE', 'missing_scope', requirement.scopeHeaders);
  }
  if (requirement.roles.length > 0 && !requirement.roles.some((role) => principal.roles.includes(role))) {
    throw new GatewayError('ROLE_REQUIRED', 'missing_role', PRIVILEGE_HEADERS);
  }
  if (requirement.plans !== undefined && (principal.plan === undefined || !requirement.plans.has(principal.plan))) {
    throw new GatewayError('PLAN_REQUIRED', 'plan_not_allowed', PRIVILEGE_HEADERS);
  }
}
