// The one error of an external-IdP login that went wrong (AUTH_EXTERNAL_LOGIN_FAILED: one generic page); the
// `reason` says why, in the log only.
import { AuthError } from '../errors.ts';

export const externalLoginFailed = (reason: string, cause?: unknown): AuthError =>
  new AuthError('AUTH_EXTERNAL_LOGIN_FAILED', { reason, cause });
