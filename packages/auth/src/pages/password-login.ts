// The password check of the login page and of the account-link page (external/link-account.ts): both take the
// same per-account and per-IP throttle slots, log a refusal the same way, and reset the account's counter once
// the password was right.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LoginFailure, User } from '../accounts/accounts.ts';
import type { AuthRuntime } from '../runtime.ts';

export type PasswordAttempt =
  | { outcome: 'throttled' }
  | { outcome: 'failed'; reason: LoginFailure }
  | { outcome: 'ok'; user: User };

/** How a refused attempt is logged: the messages, and fields each of its log lines carries. */
export interface AttemptLog {
  throttled: string;
  failed: string;
  fields?: Record<string, unknown>;
}

const LOGIN_LOG: AttemptLog = { throttled: 'login refused', failed: 'login failed' };

/**
 * Checks email + password under the login throttle. Throttled: `retry-after` is set and the password is not
 * checked. Failed: the reason is logged (the page shows one generic message). Ok: the account's counter is reset.
 */
export async function attemptPasswordLogin(
  rt: AuthRuntime,
  request: FastifyRequest,
  reply: FastifyReply,
  email: string,
  password: string,
  log: AttemptLog = LOGIN_LOG,
): Promise<PasswordAttempt> {
  const decision = await rt.throttle.beginLogin(request.ip, email);
  if (!decision.allowed) {
    request.log.warn({ reason: 'login_throttled', limit: decision.limit, ...log.fields }, log.throttled);
    reply.header('retry-after', String(decision.retryAfterSec));
    return { outcome: 'throttled' };
  }
  const result = await rt.accounts.login(email, password);
  if (!result.ok) {
    request.log.info({ reason: result.reason, userId: result.userId, ...log.fields }, log.failed);
    return { outcome: 'failed', reason: result.reason };
  }
  await rt.throttle.loginSucceeded(email);
  return { outcome: 'ok', user: result.user };
}
