// Every failure of a JSON API request becomes an RFC 9457 problem document with an API_* code and
// generic text; the reason (and, for 5xx, the error) goes to the request log only.
import { isStoreUnavailable } from '@edgepass/store';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { JsonApiError, type JsonApiErrorCode } from '../errors.ts';
import { logError, sendProblem } from '../problem.ts';

/** Fastify's own request errors (body parsing, limits, router) by status. */
const FASTIFY_STATUS_CODES: Record<number, JsonApiErrorCode> = {
  400: 'API_BAD_REQUEST',
  413: 'API_PAYLOAD_TOO_LARGE',
  414: 'API_URL_TOO_LONG',
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

export async function handleJsonApiError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const refusal = toJsonApiError(error);
  logError(request.log, refusal);
  return sendProblem(reply, refusal, request.id);
}

export async function notFound(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return handleJsonApiError(new JsonApiError('API_NOT_FOUND', { reason: 'no_route' }), request, reply);
}
