// Every failure of a JSON API request becomes an RFC 9457 problem document with a registry code and
// generic text; the reason (and, for 5xx, the error) goes to the request log only.
import { isStoreUnavailable } from '@edgepass/store';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { wwwAuthenticate } from './caller.ts';
import { JsonApiError, type JsonApiErrorCode, jsonApiProblem } from './errors.ts';

/** Fastify's own request errors (body parsing, limits) by status. */
const FASTIFY_STATUS_CODES: Record<number, JsonApiErrorCode> = {
  400: 'API_BAD_REQUEST',
  413: 'API_PAYLOAD_TOO_LARGE',
  415: 'API_UNSUPPORTED_MEDIA_TYPE',
};

function toJsonApiError(error: unknown): JsonApiError {
  if (error instanceof JsonApiError) return error;
  const fastify = error as Partial<FastifyError>;
  const mapped = typeof fastify.statusCode === 'number' ? FASTIFY_STATUS_CODES[fastify.statusCode] : undefined;
  if (mapped && typeof fastify.code === 'string')
    return new JsonApiError(mapped, { reason: fastify.code.toLowerCase() });
  if (isStoreUnavailable(error))
    return new JsonApiError('API_UNAVAILABLE', { reason: 'store_unavailable', cause: error });
  return new JsonApiError('API_INTERNAL', { reason: 'unexpected_error', cause: error });
}

export function sendProblem(error: JsonApiError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.status >= 500)
    request.log.error({ reason: error.reason, errorCode: error.code, err: error.cause }, 'json api request failed');
  else request.log.info({ reason: error.reason, errorCode: error.code }, 'json api request refused');
  if (error.bearer) reply.header('www-authenticate', wwwAuthenticate(error.bearer));
  return reply
    .code(error.status)
    .header('cache-control', 'no-store')
    .type('application/problem+json')
    .send(jsonApiProblem(error, request.id));
}

export async function handleJsonApiError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  return sendProblem(toJsonApiError(error), request, reply);
}

export async function notFound(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return sendProblem(new JsonApiError('API_NOT_FOUND', { reason: 'no_route' }), request, reply);
}
