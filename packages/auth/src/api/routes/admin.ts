// Admin API (role `admin`): keys of any user, plans, usage of any user or key. Admins may set any scope.
import { findOwner } from '../../apikeys/owners.ts';
import { JsonApiError } from '../../errors.ts';
import { setUserPlan } from '../../usage/plans.ts';
import { usageReport } from '../../usage/report.ts';
import { type AnyRoute, defineRoute } from '../route.ts';
import {
  adminCreateKeyBody,
  adminListKeysQuery,
  adminUsageQuery,
  apiKeyListView,
  issuedKeyView,
  profileView,
  setPlanBody,
  usageReportView,
  userIdParams,
} from '../schemas.ts';
import { apiKeyListJson, issuedKeyJson, profileJson } from '../views.ts';
import type { RouteContext } from './context.ts';
import { keyRecordRoute } from './key-record-route.ts';

const access = { kind: 'admin' } as const;

export function adminRoutes({ deps, keys, accounts, now }: RouteContext): AnyRoute[] {
  const byId = { url: '/admin/api/keys/:id', tag: 'Admin', access, now } as const;
  return [
    defineRoute({
      method: 'GET',
      url: '/admin/api/keys',
      operationId: 'adminListApiKeys',
      summary: 'List API keys of one owner (or of everyone), newest first',
      tag: 'Admin',
      access,
      query: adminListKeysQuery,
      response: { status: 200, description: 'one page of keys', schema: apiKeyListView },
      async handler({ query }) {
        const { owner, ...page } = query;
        return apiKeyListJson(await keys.listApiKeys({ ownerId: owner, ...page }), now());
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/admin/api/keys',
      operationId: 'adminCreateApiKey',
      summary: 'Create an API key for any user, with any scopes (the key is in this response only)',
      tag: 'Admin',
      access,
      body: adminCreateKeyBody,
      response: { status: 201, description: 'the new key and its record', schema: issuedKeyView },
      errors: ['API_NOT_FOUND', 'API_INVALID_EXPIRY', 'API_KEY_LIMIT_REACHED'],
      async handler({ body }) {
        return issuedKeyJson(await keys.createApiKey(body), now());
      },
    }),
    keyRecordRoute(
      { ...byId, method: 'GET', operationId: 'adminGetApiKey', summary: 'Any API key', description: 'the key record' },
      (id) => keys.getApiKey(id),
    ),
    keyRecordRoute(
      {
        ...byId,
        method: 'DELETE',
        operationId: 'adminRevokeApiKey',
        summary: 'Revoke any API key (idempotent)',
        description: 'the revoked key record',
      },
      (id) => keys.revokeApiKey(id),
    ),
    defineRoute({
      method: 'PUT',
      url: '/admin/api/users/:id/plan',
      operationId: 'adminSetUserPlan',
      summary: 'Set a user’s plan (one of the configured plans); publishes user.changed',
      tag: 'Admin',
      access,
      params: userIdParams,
      body: setPlanBody(deps.plans),
      response: { status: 200, description: 'the user’s profile with the new plan', schema: profileView },
      async handler({ params, body }) {
        return profileJson(await setUserPlan(accounts, params.id, body.plan));
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/admin/api/usage',
      operationId: 'adminGetUsage',
      summary: 'Requests per day of one user (and each of their keys) or of one key',
      tag: 'Admin',
      access,
      query: adminUsageQuery,
      response: { status: 200, description: 'usage per principal per day', schema: usageReportView },
      errors: ['API_NOT_FOUND'],
      async handler({ query }) {
        const range = { from: query.from, to: query.to };
        if (query.key !== undefined) {
          await keys.getApiKey(query.key);
          return await usageReport(deps.store.sql, { key: query.key }, range);
        }
        const user = query.user === undefined ? undefined : await findOwner(deps.store.sql, query.user);
        if (!user) throw new JsonApiError('API_NOT_FOUND', { reason: 'user_not_found' });
        return await usageReport(deps.store.sql, { user: user.id }, range);
      },
    }),
  ];
}
