// Plans: every user carries one plan name from the configured list (the first is the default, as
// users.plan defaults to it). A plan change is Accounts.setPlan — one implementation for the JSON API, the CLI
// and the pages — which publishes `user.changed` so gateways drop cached sessions and passports that carry the
// old plan. setUserPlan is that change with the JSON API's errors, publishing after the commit: a failed
// publish is logged and the change stands.
import type { Store } from '@edgepass/store';
import { Accounts } from '../accounts/accounts.ts';
import type { OwnerProfile } from '../apikeys/owners.ts';
import type { ErrorLogger } from '../apikeys/publish.ts';
import { isAuthError, JsonApiError } from '../errors.ts';

export const DEFAULT_PLANS = ['free', 'premium'] as const;

export interface PlanDeps {
  store: Store;
  plans: readonly string[];
  logger: ErrorLogger;
}

export async function setUserPlan(deps: PlanDeps, userId: string, plan: string): Promise<OwnerProfile> {
  if (!deps.plans.includes(plan)) {
    throw new JsonApiError('API_VALIDATION_FAILED', {
      reason: 'unknown_plan',
      errors: [{ in: 'body', pointer: '/plan', code: 'invalid_value' }],
    });
  }
  const accounts = new Accounts({ store: deps.store, plans: deps.plans, logger: deps.logger });
  try {
    const user = await accounts.setPlan(userId, plan);
    const { id, email, name, emailVerified, roles, status, tenant } = user;
    return { id, email, name, emailVerified, plan: user.plan, roles, status, tenant };
  } catch (err) {
    if (isAuthError(err) && err.code === 'AUTH_USER_NOT_FOUND')
      throw new JsonApiError('API_NOT_FOUND', { reason: 'user_not_found' });
    throw err;
  }
}
