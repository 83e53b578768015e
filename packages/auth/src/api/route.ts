// A JSON API route is data: method, URL, who may call it, zod shapes of its inputs and output, the error
// codes it may answer, and a handler. The same table registers the Fastify routes and builds the OpenAPI
// document, so the two cannot drift apart.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type FieldProblem, JsonApiError, type JsonApiErrorCode } from '../errors.ts';
import { type Access, type AdminCaller, authenticate, type Caller, type OwnerCaller } from './caller.ts';
import type { JsonApiDeps } from './index.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type CallerFor<A extends Access> = A extends { kind: 'owner' }
  ? OwnerCaller
  : A extends { kind: 'admin' }
    ? AdminCaller
    : { kind: 'public' };

export interface HandlerContext<A extends Access, P, Q, B> {
  caller: CallerFor<A>;
  params: P;
  query: Q;
  body: B;
  request: FastifyRequest;
  reply: FastifyReply;
}

export const NO_INPUT = z.object({}).strict();
type NoInput = typeof NO_INPUT;

export interface RouteSpec<
  A extends Access = Access,
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  method: HttpMethod;
  /** full path, Fastify syntax (`/api/keys/:id`) */
  url: string;
  operationId: string;
  summary: string;
  tag: 'API keys' | 'Account' | 'Usage' | 'Admin' | 'Meta';
  access: A;
  params?: P;
  query?: Q;
  body?: B;
  /** a missing body is read as `{}` */
  bodyOptional?: boolean;
  response: { status: 200 | 201; description: string; schema: z.ZodType };
  /** codes this route answers besides the ones implied by access and inputs */
  errors?: JsonApiErrorCode[];
  handler(ctx: HandlerContext<A, z.output<P>, z.output<Q>, z.output<B>>): Promise<unknown>;
}

export type AnyRoute = RouteSpec<Access, z.ZodType, z.ZodType, z.ZodType>;

/** Identity function that infers the handler's types from the spec. */
export function defineRoute<
  const A extends Access,
  P extends z.ZodType = NoInput,
  Q extends z.ZodType = NoInput,
  B extends z.ZodType = NoInput,
>(spec: RouteSpec<A, P, Q, B>): AnyRoute {
  return spec as unknown as AnyRoute;
}

/** The error codes a route can answer: its own plus those implied by its access rule and inputs. */
export function routeErrorCodes(route: AnyRoute): JsonApiErrorCode[] {
  const codes = new Set<JsonApiErrorCode>(route.errors ?? []);
  if (route.access.kind !== 'public') codes.add('API_INVALID_TOKEN');
  if (route.access.kind === 'owner' && route.access.scope) codes.add('API_INSUFFICIENT_SCOPE');
  if (route.access.kind === 'admin') codes.add('API_ADMIN_REQUIRED');
  if (route.params) for (const c of ['API_NOT_FOUND', 'API_URL_TOO_LONG'] as const) codes.add(c);
  if (route.query || route.body) codes.add('API_VALIDATION_FAILED');
  if (route.body)
    for (const c of ['API_BAD_REQUEST', 'API_PAYLOAD_TOO_LARGE', 'API_UNSUPPORTED_MEDIA_TYPE'] as const) codes.add(c);
  codes.add('API_INTERNAL');
  if (route.access.kind !== 'public') codes.add('API_UNAVAILABLE');
  return [...codes];
}

const MAX_PROBLEMS = 20;
const MAX_KEY_ECHO = 64;

function pointer(path: readonly PropertyKey[]): string {
  return path.map((p) => `/${String(p).slice(0, MAX_KEY_ECHO).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** Field paths and issue codes only: never the submitted values. */
export function fieldProblems(part: FieldProblem['in'], error: z.ZodError): FieldProblem[] {
  const problems = error.issues.flatMap((issue): FieldProblem[] =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((k) => ({ in: part, pointer: pointer([...issue.path, k]), code: 'unrecognized_key' }))
      : [{ in: part, pointer: pointer(issue.path), code: issue.code }],
  );
  return problems.slice(0, MAX_PROBLEMS);
}

function parsePart<S extends z.ZodType>(schema: S, value: unknown, part: FieldProblem['in']): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  // a malformed id in the path is reported like an unknown one
  if (part === 'path') throw new JsonApiError('API_NOT_FOUND', { reason: 'path_param_invalid' });
  throw new JsonApiError('API_VALIDATION_FAILED', {
    reason: `${part}_invalid`,
    errors: fieldProblems(part, result.error),
  });
}

const BODY_LIMIT = 16 * 1024;
const callers = new WeakMap<FastifyRequest, Caller>();

/** Registers one route on app (whose prefix is stripped from the spec's URL). */
export function registerRoute(app: FastifyInstance, prefix: string, route: AnyRoute, deps: JsonApiDeps): void {
  app.route({
    method: route.method,
    url: route.url.slice(prefix.length) || '/',
    bodyLimit: BODY_LIMIT,
    // authenticate before the body is read: an unauthenticated caller learns nothing about validation
    onRequest: async (request) => {
      callers.set(request, await authenticate(route.access, request, deps));
    },
    handler: async (request, reply) => {
      const caller = callers.get(request);
      if (!caller) throw new Error('caller not authenticated');
      const rawBody = request.body === undefined && route.bodyOptional ? {} : request.body;
      const result = await route.handler({
        caller: caller as never,
        params: parsePart(route.params ?? NO_INPUT, request.params ?? {}, 'path'),
        query: parsePart(route.query ?? NO_INPUT, request.query ?? {}, 'query'),
        body: route.body ? parsePart(route.body, rawBody, 'body') : undefined,
        request,
        reply,
      });
      reply.code(route.response.status).header('cache-control', 'no-store');
      return result;
    },
  });
}
