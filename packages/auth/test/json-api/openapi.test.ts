// The OpenAPI document describes exactly the registered /api and /admin/api routes, and is well-formed:
// every $ref resolves, every operation documents its success schema, its errors and its security.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openApiPath } from '../../src/api/openapi.ts';
import { JSON_API_ERRORS } from '../../src/errors.ts';
import { type Harness, startHarness } from './harness.ts';

type Json = Record<string, unknown>;

function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe('OpenAPI document', () => {
  let h: Harness;
  const registered = new Set<string>();
  let doc: Json;
  before(async () => {
    h = await startHarness({
      beforeRegister: (app) => {
        app.addHook('onRoute', (route) => {
          const methods = Array.isArray(route.method) ? route.method : [route.method];
          for (const m of methods) {
            if (m === 'HEAD' || m === 'OPTIONS') continue;
            if (route.url.startsWith('/api/') || route.url.startsWith('/admin/api/')) {
              registered.add(`${m.toLowerCase()} ${openApiPath(route.url)}`);
            }
          }
        });
      },
    });
    const res = await h.request('GET', '/api/openapi.json');
    assert.equal(res.status, 200);
    doc = res.body as Json;
  });
  after(async () => {
    await h.close();
  });

  test('every registered route is documented and every documented operation is registered', () => {
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const method of Object.keys(item)) documented.add(`${method} ${path}`);
    }
    assert.ok(registered.size >= 15, `only ${registered.size} routes registered`);
    assert.deepEqual([...documented].sort(), [...registered].sort());
    for (const expected of [
      'post /api/keys',
      'get /api/keys',
      'get /api/keys/{id}',
      'patch /api/keys/{id}',
      'post /api/keys/{id}/rotate',
      'delete /api/keys/{id}',
      'get /api/me',
      'get /api/usage',
      'get /api/openapi.json',
      'get /admin/api/keys',
      'post /admin/api/keys',
      'delete /admin/api/keys/{id}',
      'put /admin/api/users/{id}/plan',
      'get /admin/api/usage',
    ]) {
      assert.ok(documented.has(expected), expected);
    }
  });

  test('is OpenAPI 3.1 with a bearer security scheme, resolvable $refs and problem+json errors', () => {
    assert.equal(doc.openapi, '3.1.0');
    const components = doc.components as { schemas: Json; securitySchemes: Json };
    assert.deepEqual((components.securitySchemes.bearerAuth as Json).scheme, 'bearer');
    for (const ref of refs(doc)) {
      const name = ref.replace('#/components/schemas/', '');
      assert.ok(ref.startsWith('#/components/schemas/') && name in components.schemas, `unresolved ${ref}`);
    }
    const operationIds = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${method} ${path}`;
        assert.ok(typeof op.operationId === 'string' && !operationIds.has(op.operationId), where);
        operationIds.add(op.operationId as string);
        const responses = op.responses as Record<string, Json>;
        const success = Object.keys(responses).filter((s) => s.startsWith('2'));
        assert.equal(success.length, 1, where);
        assert.ok('500' in responses, where);
        for (const [status, r] of Object.entries(responses)) {
          if (status.startsWith('2')) continue;
          assert.deepEqual(r.content, {
            'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
          });
          const codes = String(r.description).replace('problem+json with code ', '').split(', ');
          for (const c of codes) {
            assert.equal(String(JSON_API_ERRORS[c as keyof typeof JSON_API_ERRORS]?.status), status, `${where} ${c}`);
          }
        }
        const security = op.security as Json[];
        const params = (op.parameters as Json[]).filter((p) => p.in === 'path').map((p) => p.name);
        assert.deepEqual(
          params,
          [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]),
          where,
        );
        if (path === '/api/openapi.json') {
          assert.deepEqual(security, []);
        } else {
          assert.equal(security.length, 1, where);
          assert.ok('401' in responses, where);
          assert.equal('403' in responses, path !== '/api/me', where);
        }
        if (path.startsWith('/admin/api/')) assert.deepEqual(security, [{ bearerAuth: ['role:admin'] }]);
      }
    }
  });

  test('request bodies document the strict shapes the server enforces', () => {
    const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
    const create = schemas.CreateApiKeyRequest as Json;
    assert.equal(create.additionalProperties, false);
    assert.deepEqual(Object.keys(create.properties as Json).sort(), [
      'expiresAt',
      'name',
      'rateLimitPerMinute',
      'scopes',
    ]);
    const plan = schemas.AdminSetUserPlanRequest as { properties: { plan: Json } };
    assert.deepEqual(plan.properties.plan.enum, ['free', 'premium', 'enterprise']);
    const key = schemas.GetApiKeyResponse as { properties: Json };
    assert.ok(!('hash' in key.properties) && !('key' in key.properties));
  });
});
