// OpenAPI 3.1 document of the JSON API, built from the route table and its zod schemas.
import { z } from 'zod';
import { JSON_API_ERRORS, type JsonApiErrorCode } from '../errors.ts';
import { ADMIN_ROLE } from './caller.ts';
import { type AnyRoute, routeErrorCodes } from './route.ts';
import { problemView } from './schemas.ts';

type JsonObject = Record<string, unknown>;

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

/** `/api/keys/:id` → `/api/keys/{id}` */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function cleanSchema(schema: JsonObject): JsonObject {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/** Named components: each route's body (input form) and response (output form). */
function components(routes: AnyRoute[]): { schemas: JsonObject; ref: (schema: z.ZodType) => JsonObject } {
  const inputs = z.registry<{ id: string }>();
  const outputs = z.registry<{ id: string }>();
  const ids = new Map<z.ZodType, string>();
  const name = (s: string) => s[0]?.toUpperCase() + s.slice(1);
  outputs.add(problemView, { id: 'Problem' });
  ids.set(problemView, 'Problem');
  for (const r of routes) {
    if (r.body && !ids.has(r.body)) {
      const id = `${name(r.operationId)}Request`;
      inputs.add(r.body, { id });
      ids.set(r.body, id);
    }
    if (!ids.has(r.response.schema)) {
      const id = `${name(r.operationId)}Response`;
      outputs.add(r.response.schema, { id });
      ids.set(r.response.schema, id);
    }
  }
  const uri = (id: string) => `#/components/schemas/${id}`;
  const generated = {
    ...z.toJSONSchema(inputs, { uri, io: 'input' }).schemas,
    ...z.toJSONSchema(outputs, { uri, io: 'output' }).schemas,
  };
  const schemas = Object.fromEntries(Object.entries(generated).map(([k, v]) => [k, cleanSchema(v as JsonObject)]));
  return {
    schemas,
    ref(schema) {
      const id = ids.get(schema);
      if (!id) throw new Error('schema is not a registered component');
      return { $ref: uri(id) };
    },
  };
}

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query'): JsonObject[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { io: 'input' }) as {
    properties?: Record<string, JsonObject>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: s,
  }));
}

function errorResponses(codes: JsonApiErrorCode[]): JsonObject {
  const byStatus = new Map<number, JsonApiErrorCode[]>();
  for (const c of codes)
    byStatus.set(JSON_API_ERRORS[c].status, [...(byStatus.get(JSON_API_ERRORS[c].status) ?? []), c]);
  return Object.fromEntries(
    [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, list]) => [
        String(status),
        {
          description: `problem+json with code ${list.join(', ')}`,
          ...(status === 401 ? { headers: { 'WWW-Authenticate': { schema: { type: 'string' } } } } : {}),
          content: { 'application/problem+json': { schema: PROBLEM_REF } },
        },
      ]),
  );
}

function security(route: AnyRoute): JsonObject[] {
  if (route.access.kind === 'public') return [];
  if (route.access.kind === 'owner') return [{ bearerAuth: route.access.scope ? [route.access.scope] : [] }];
  return [{ bearerAuth: [`role:${ADMIN_ROLE}`] }];
}

export function openApiDocument(routes: AnyRoute[], info: { version: string; serverUrl?: string }): JsonObject {
  const { schemas, ref } = components(routes);
  const paths: Record<string, JsonObject> = {};
  for (const r of routes) {
    const operation: JsonObject = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      security: security(r),
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      ...(r.body
        ? { requestBody: { required: !r.bodyOptional, content: { 'application/json': { schema: ref(r.body) } } } }
        : {}),
      responses: {
        [String(r.response.status)]: {
          description: r.response.description,
          content: { 'application/json': { schema: ref(r.response.schema) } },
        },
        ...errorResponses(routeErrorCodes(r)),
      },
    };
    const path = openApiPath(r.url);
    paths[path] = { ...paths[path], [r.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'edgepass auth JSON API',
      version: info.version,
      description:
        'API keys, plans and usage. Owner endpoints (/api) take an access token of this auth service for an ' +
        'active user; admin endpoints (/admin/api) require the role admin. Errors are RFC 9457 problem documents ' +
        'with a stable code.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    tags: ['API keys', 'Account', 'Usage', 'Admin', 'Meta'].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'Access token (RFC 9068) issued by this auth service. Owner endpoints need the scope listed; admin ' +
            `endpoints need the role ${ADMIN_ROLE} in the token's roles claim.`,
        },
      },
    },
  };
}
