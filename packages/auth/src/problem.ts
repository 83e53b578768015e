// The one problem+json writer of the auth service (pages answer an HTML page instead, see http-errors.ts),
// and the one log line of a refused or failed request.
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import type { AuthServiceError } from './errors.ts';

/** A refusal is logged at info with its reason only; a failure at error with its cause. */
export function logError(log: FastifyBaseLogger, error: AuthServiceError): void {
  if (error.status >= 500) {
    log.error({ err: error.cause ?? error, reason: error.reason, errorCode: error.code }, 'request failed');
  } else {
    log.info({ reason: error.reason, errorCode: error.code }, 'request refused');
  }
}

/** Answers the error as an RFC 9457 problem document (never cached), with its Retry-After/WWW-Authenticate. */
export function sendProblem(reply: FastifyReply, error: AuthServiceError, requestId: string): FastifyReply {
  return reply
    .code(error.status)
    .headers({ ...error.headers(), 'cache-control': 'no-store' })
    .type('application/problem+json')
    .send(error.problem(requestId));
}
