// Owner API for API keys: a user manages their own keys (scope api_keys:manage). Another user's key id
// answers 404, exactly like an id that does not exist.
import { scopesNotGrantable } from '../../apikeys/scopes.ts';
import { JsonApiError } from '../../errors.ts';
import { OWNER_SCOPES } from '../caller.ts';
import { type AnyRoute, defineRoute } from '../route.ts';
import {
  apiKeyListView,
  apiKeyView,
  createKeyBody,
  issuedKeyView,
  keyIdParams,
  listKeysQuery,
  rotatedKeyView,
  rotateKeyBody,
  updateKeyBody,
} from '../schemas.ts';
import { apiKeyJson, apiKeyListJson, issuedKeyJson } from '../views.ts';
import type { RouteContext } from './context.ts';
import { keyRecordRoute } from './key-record-route.ts';

const access = { kind: 'owner', scope: OWNER_SCOPES.keys } as const;

export function ownerKeyRoutes({ deps, keys, now }: RouteContext): AnyRoute[] {
  const grantable = deps.apiKeyScopes ?? [];
  const checkGrantable = (scopes: readonly string[] | undefined) => {
    if (scopes && scopesNotGrantable(scopes, grantable).length > 0) {
      throw new JsonApiError('API_SCOPE_NOT_GRANTABLE', { reason: 'scope_not_grantable' });
    }
  };

  const byId = { url: '/api/keys/:id', tag: 'API keys', access, now } as const;
  return [
    defineRoute({
      method: 'POST',
      url: '/api/keys',
      operationId: 'createApiKey',
      summary: 'Create an API key for the caller (the key is in this response only)',
      tag: 'API keys',
      access,
      body: createKeyBody,
      response: { status: 201, description: 'the new key and its record', schema: issuedKeyView },
      errors: ['API_SCOPE_NOT_GRANTABLE', 'API_INVALID_EXPIRY', 'API_KEY_LIMIT_REACHED'],
      async handler({ caller, body }) {
        checkGrantable(body.scopes);
        return issuedKeyJson(await keys.createApiKey({ ownerId: caller.user.id, ...body }), now());
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/keys',
      operationId: 'listApiKeys',
      summary: "List the caller's API keys, newest first (never the key or its hash)",
      tag: 'API keys',
      access,
      query: listKeysQuery,
      response: { status: 200, description: 'one page of keys', schema: apiKeyListView },
      async handler({ caller, query }) {
        return apiKeyListJson(await keys.listApiKeys({ ownerId: caller.user.id, ...query }), now());
      },
    }),
    keyRecordRoute(
      {
        ...byId,
        method: 'GET',
        operationId: 'getApiKey',
        summary: 'One of the caller’s API keys',
        description: 'the key record',
      },
      (id, caller) => keys.getApiKey(id, { ownerId: caller.user.id }),
    ),
    defineRoute({
      method: 'PATCH',
      url: '/api/keys/:id',
      operationId: 'updateApiKey',
      summary: 'Change the name, scopes or rate limit of an active key',
      tag: 'API keys',
      access,
      params: keyIdParams,
      body: updateKeyBody,
      response: { status: 200, description: 'the changed key record', schema: apiKeyView },
      errors: ['API_SCOPE_NOT_GRANTABLE', 'API_KEY_INACTIVE'],
      async handler({ caller, params, body }) {
        checkGrantable(body.scopes);
        return apiKeyJson(await keys.updateApiKey(params.id, body, { ownerId: caller.user.id }), now());
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/keys/:id/rotate',
      operationId: 'rotateApiKey',
      summary: 'Issue a successor key; the old key keeps working for overlapSec (default 86400)',
      tag: 'API keys',
      access,
      params: keyIdParams,
      body: rotateKeyBody,
      bodyOptional: true,
      response: {
        status: 201,
        description: 'the new key, its record and the old key’s record',
        schema: rotatedKeyView,
      },
      errors: ['API_KEY_INACTIVE', 'API_KEY_ALREADY_ROTATED', 'API_INVALID_EXPIRY'],
      async handler({ caller, params, body }) {
        const rotated = await keys.rotateApiKey(params.id, body, { ownerId: caller.user.id });
        const at = now();
        return { ...issuedKeyJson(rotated, at), previous: apiKeyJson(rotated.previous, at) };
      },
    }),
    keyRecordRoute(
      {
        ...byId,
        method: 'DELETE',
        operationId: 'revokeApiKey',
        summary: 'Revoke a key (idempotent); gateways drop it at once',
        description: 'the revoked key record',
      },
      (id, caller) => keys.revokeApiKey(id, { ownerId: caller.user.id }),
    ),
  ];
}
