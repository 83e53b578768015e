// Plans: every user carries one plan name from the configured list (the first is the default, as
// users.plan defaults to it). Changing a plan publishes `user.changed` so gateways drop cached
// sessions and passports that carry the old plan.
import type { PubSub, SqlExecutor } from '@edgepass/store';
import { OWNER_COLUMNS, type OwnerProfile, ownerFromRow } from '../apikeys/owners.ts';
import { type ErrorLogger, publishAfterCommit } from '../apikeys/publish.ts';
import { JsonApiError } from '../errors.ts';

export const DEFAULT_PLANS = ['free', 'premium'] as const;

export interface PlanDeps {
  sql: SqlExecutor;
  pubsub: PubSub;
  plans: readonly string[];
  logger: ErrorLogger;
  now?: () => Date;
}

export async function setUserPlan(deps: PlanDeps, userId: string, plan: string): Promise<OwnerProfile> {
  if (!deps.plans.includes(plan)) {
    throw new JsonApiError('API_VALIDATION_FAILED', {
      reason: 'unknown_plan',
      errors: [{ in: 'body', pointer: '/plan', code: 'invalid_value' }],
    });
  }
  const { rows } = await deps.sql.query<Parameters<typeof ownerFromRow>[0]>(
    `UPDATE users SET plan = $2, updated_at = $3 WHERE id = $1 RETURNING ${OWNER_COLUMNS}`,
    [userId, plan, (deps.now ?? (() => new Date()))()],
  );
  const row = rows[0];
  if (!row) throw new JsonApiError('API_NOT_FOUND', { reason: 'user_not_found' });
  await publishAfterCommit(deps.pubsub, deps.logger, { type: 'user.changed', id: userId });
  return ownerFromRow(row);
}
