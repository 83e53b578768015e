// The auth service's error registry: stable code → HTTP status and generic title. Codes are API: never
// rename or reuse one; every code here is listed in docs/errors.md (errors.test.ts checks both directions).
// Titles are what clients see; the precise reason goes to the log only (AuthError.reason).

export const AUTH_ERRORS = {
  AUTH_BAD_REQUEST: { status: 400, title: 'The request is not valid.' },
  AUTH_INVALID_TOKEN: { status: 401, title: 'The access token is not valid.' },
  AUTH_CSRF_FAILED: { status: 403, title: 'The form has expired. Reload the page and try again.' },
  AUTH_NOT_FOUND: { status: 404, title: 'Not found.' },
  AUTH_LOGIN_FAILED: { status: 401, title: 'Invalid email or password.' },
  AUTH_THROTTLED: { status: 429, title: 'Too many attempts. Try again later.' },
  AUTH_INTERACTION_EXPIRED: {
    status: 400,
    title: 'The sign-in request has expired. Start again from the application.',
  },
  AUTH_EXTERNAL_LOGIN_FAILED: { status: 400, title: 'Signing in with the external provider failed.' },
  AUTH_UNAVAILABLE: { status: 503, title: 'The service is temporarily unavailable.' },
  AUTH_INTERNAL: { status: 500, title: 'Something went wrong.' },
  AUTH_CONFIG_INVALID: { status: 500, title: 'The auth service configuration is not valid.' },
  AUTH_EMAIL_INVALID: { status: 400, title: 'The email address is not valid.' },
  AUTH_EMAIL_TAKEN: { status: 409, title: 'The email address is already in use.' },
  AUTH_PASSWORD_POLICY: { status: 400, title: 'The password does not meet the password policy.' },
  AUTH_PLAN_INVALID: { status: 400, title: 'The plan is not one of the configured plans.' },
  AUTH_USER_NOT_FOUND: { status: 404, title: 'User not found.' },
  AUTH_CLIENT_NOT_FOUND: { status: 404, title: 'Client not found.' },
  AUTH_CLIENT_INVALID: { status: 400, title: 'The client metadata is not valid.' },
} as const satisfies Record<string, { status: number; title: string }>;

export type AuthErrorCode = keyof typeof AUTH_ERRORS;

export const AUTH_ERROR_CODES = Object.keys(AUTH_ERRORS) as AuthErrorCode[];

export interface AuthErrorOptions {
  /** Stable machine reason for the log (never shown to clients), e.g. `password_mismatch`. */
  reason?: string;
  /** Field-level problems for form re-rendering: field name → generic message. Never echo input values. */
  fields?: Record<string, string>;
  /** Seconds until a throttled caller may retry. */
  retryAfterSec?: number;
  cause?: unknown;
}

export class AuthError extends Error {
  readonly code: AuthErrorCode;
  readonly status: number;
  readonly reason: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly retryAfterSec: number | undefined;

  constructor(code: AuthErrorCode, options: AuthErrorOptions = {}) {
    super(AUTH_ERRORS[code].title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuthError';
    this.code = code;
    this.status = AUTH_ERRORS[code].status;
    this.reason = options.reason ?? code.toLowerCase();
    this.fields = Object.freeze({ ...options.fields });
    this.retryAfterSec = options.retryAfterSec;
  }
}

export function isAuthError(value: unknown): value is AuthError {
  return value instanceof AuthError;
}

/** RFC 9457 problem document for a code (generic text only). */
export function problemFor(code: AuthErrorCode, requestId?: string): Record<string, unknown> {
  const { status, title } = AUTH_ERRORS[code];
  return {
    type: `https://edgepass.dev/errors#${code.toLowerCase()}`,
    title,
    status,
    code,
    ...(requestId ? { requestId } : {}),
  };
}
