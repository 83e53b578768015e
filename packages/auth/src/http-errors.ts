// How the auth service answers a failed request outside the JSON API: the pages (/interaction/…, /logout,
// /auth/…) with an HTML error page, everything else with a problem+json document; both with the registry's
// generic title and the request id, the reason in the log only. Router-level errors (a URL that does not
// decode, an over-long path segment) are answered here too, on the surface the URL belongs to.
import { isStoreUnavailable } from '@edgepass/store';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { handleJsonApiError } from './api/http-errors.ts';
import { isJsonApiUrl } from './api/index.ts';
import { AuthError, type AuthErrorCode, isAuthError } from './errors.ts';
import { sendPage } from './pages/respond.ts';
import { errorView } from './pages/views.ts';
import { logError, sendProblem } from './problem.ts';

const PAGE_PREFIXES = ['/interaction/', '/logout', '/auth/'];

const isPagePath = (url: string) => PAGE_PREFIXES.some((p) => url.startsWith(p));

/** Fastify's own request errors by status; any other 4xx is a bad request. */
const FASTIFY_STATUS_CODES: Record<number, AuthErrorCode> = { 404: 'AUTH_NOT_FOUND', 414: 'AUTH_URL_TOO_LONG' };

function toAuthError(err: unknown): AuthError {
  if (isAuthError(err)) return err;
  if (isStoreUnavailable(err)) return new AuthError('AUTH_UNAVAILABLE', { reason: 'store_unavailable', cause: err });
  const { statusCode: status, code } = err as Partial<FastifyError>;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const reason = typeof code === 'string' ? code.toLowerCase() : 'bad_request';
    return new AuthError(FASTIFY_STATUS_CODES[status] ?? 'AUTH_BAD_REQUEST', { reason, cause: err });
  }
  return new AuthError('AUTH_INTERNAL', { reason: 'unexpected_error', cause: err });
}

export function handleError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const error = toAuthError(err);
  logError(request.log, error);
  if (!isPagePath(request.url)) return sendProblem(reply, error, request.id);
  return sendPage(reply.headers(error.headers()), error.status, 'Error', errorView(error.message, request.id));
}

export function notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return handleError(new AuthError('AUTH_NOT_FOUND', { reason: 'route_not_found' }), request, reply);
}

/** Fastify's `frameworkErrors`: FST_ERR_BAD_URL (400), FST_ERR_MAX_PARAM_LENGTH (414), before any route runs. */
export function handleRouterError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  // no route context yet: the app's onSend hook does not run
  reply.header('x-request-id', request.id);
  if (isJsonApiUrl(request.url)) void handleJsonApiError(err, request, reply);
  else handleError(err, request, reply);
}
