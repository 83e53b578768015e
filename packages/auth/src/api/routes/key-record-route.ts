// A route that answers the record of the API key named in its path, after reading or changing it: the
// owner and admin APIs both have one for GET and one for DELETE. Under an owner scope another user's key
// answers 404, exactly like an id that does not exist.
import type { ApiKeyRecord } from '../../apikeys/record.ts';
import type { Access } from '../caller.ts';
import { type AnyRoute, type CallerFor, defineRoute, type RouteSpec } from '../route.ts';
import { apiKeyView, keyIdParams } from '../schemas.ts';
import { apiKeyJson } from '../views.ts';

type Names = Pick<RouteSpec, 'method' | 'url' | 'operationId' | 'summary' | 'tag'>;

export function keyRecordRoute<const A extends Access>(
  spec: Names & { access: A; description: string; now: () => Date },
  action: (id: string, caller: CallerFor<A>) => Promise<ApiKeyRecord>,
): AnyRoute {
  const { description, now, ...names } = spec;
  return defineRoute({
    ...names,
    params: keyIdParams,
    response: { status: 200, description, schema: apiKeyView },
    async handler({ caller, params }) {
      return apiKeyJson(await action(params.id, caller), now());
    },
  });
}
