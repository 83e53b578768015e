// Plans: every user carries one plan name from the configured list (the first is the default, as
// users.plan defaults to it). A plan change is Accounts.setPlan — one implementation for the JSON API, the CLI
// and the pages — which publishes `user.changed` so gateways drop cached sessions and passports that carry the
// old plan. setUserPlan is that change with the JSON API's errors; the JSON API's Accounts has the service
// logger, so a failed publish is logged and the change stands.
import type { Accounts } from '../accounts/accounts.ts';
import type { OwnerProfile } from '../apikeys/owners.ts';
import { isAuthError, JsonApiError } from '../errors.ts';

export const DEFAULT_PLANS = ['free', 'premium'] as const;

export async function setUserPlan(accounts: Accounts, userId: string, plan: string): Promise<OwnerProfile> {
  try {
    const user = await accounts.setPlan(userId, plan);
    // exactly the public profile: a caller that serialises the result must not get hasPassword or timestamps
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      emailVerified: user.emailVerified,
      plan: user.plan,
      roles: user.roles,
      status: user.status,
      tenant: user.tenant,
    };
  } catch (err) {
    if (isAuthError(err) && err.code === 'AUTH_PLAN_INVALID')
      throw new JsonApiError('API_VALIDATION_FAILED', {
        reason: 'unknown_plan',
        errors: [{ in: 'body', pointer: '/plan', code: 'invalid_value' }],
      });
    if (isAuthError(err) && err.code === 'AUTH_USER_NOT_FOUND')
      throw new JsonApiError('API_NOT_FOUND', { reason: 'user_not_found' });
    throw err;
  }
}
