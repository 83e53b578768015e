// The caller's own account and usage.
import { usageReport } from '../../usage/report.ts';
import { OWNER_SCOPES } from '../caller.ts';
import { type AnyRoute, defineRoute } from '../route.ts';
import { profileView, usageQuery, usageReportView } from '../schemas.ts';
import { profileJson } from '../views.ts';
import type { RouteContext } from './context.ts';

export function accountRoutes({ deps, keys }: RouteContext): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/me',
      operationId: 'getMe',
      summary: 'The calling user: id, email, plan, roles',
      tag: 'Account',
      access: { kind: 'owner' },
      response: { status: 200, description: 'the caller’s profile', schema: profileView },
      async handler({ caller }) {
        return profileJson(caller.user);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/usage',
      operationId: 'getMyUsage',
      summary: 'Requests per day of the caller (user principal) and of each of the caller’s keys, or of one key',
      tag: 'Usage',
      access: { kind: 'owner', scope: OWNER_SCOPES.usage },
      query: usageQuery,
      response: { status: 200, description: 'usage per principal per day', schema: usageReportView },
      errors: ['API_NOT_FOUND'],
      async handler({ caller, query }) {
        const range = { from: query.from, to: query.to };
        if (query.key === undefined) return await usageReport(deps.store.sql, { user: caller.user.id }, range);
        // 404 unless the key is the caller's (revoked and expired keys included)
        await keys.getApiKey(query.key, { ownerId: caller.user.id });
        return await usageReport(deps.store.sql, { key: query.key }, range);
      },
    }),
  ];
}
