// The error registry of @edgepass/auth: stable code → HTTP status and generic title. Codes are API: never
// rename or reuse one; every code here is listed in docs/errors.md (errors.test.ts checks both directions).
// Titles are what clients see; the precise reason goes to the log only (`reason`).
//
// Two surfaces share the registry: AUTH_* codes answer the pages, the non-OAuth JSON paths and the modules
// (`AuthError`); API_* codes answer the JSON API under /api and /admin/api (`JsonApiError`).

/** Every code of the package: code → HTTP status and the generic title clients see. */
export const ERRORS = {
  // pages, service paths and the modules' errors (AuthError)
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
  AUTH_URL_TOO_LONG: { status: 414, title: 'The URL is too long.' },
  // the JSON API under /api and /admin/api (JsonApiError)
  API_BAD_REQUEST: { status: 400, title: 'The request is not valid.' },
  API_VALIDATION_FAILED: { status: 400, title: 'The request has invalid fields.' },
  API_INVALID_EXPIRY: { status: 400, title: 'The expiry must be in the future.' },
  API_INVALID_TOKEN: { status: 401, title: 'The access token is missing or not valid.' },
  API_INSUFFICIENT_SCOPE: { status: 403, title: 'The access token does not carry the required scope.' },
  API_ADMIN_REQUIRED: { status: 403, title: 'The request is not allowed.' },
  API_SCOPE_NOT_GRANTABLE: { status: 403, title: 'A requested scope may not be granted to an API key.' },
  API_NOT_FOUND: { status: 404, title: 'Not found.' },
  API_KEY_INACTIVE: { status: 409, title: 'The API key is revoked or expired.' },
  API_KEY_ALREADY_ROTATED: { status: 409, title: 'The API key has already been rotated.' },
  API_KEY_LIMIT_REACHED: { status: 409, title: 'The maximum number of active API keys has been reached.' },
  API_PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large.' },
  API_URL_TOO_LONG: { status: 414, title: 'The URL is too long.' },
  API_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json.' },
  API_INTERNAL: { status: 500, title: 'Something went wrong.' },
  API_UNAVAILABLE: { status: 503, title: 'The service is temporarily unavailable.' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;
export type AuthErrorCode = Extract<ErrorCode, `AUTH_${string}`>;
export type JsonApiErrorCode = Extract<ErrorCode, `API_${string}`>;

function surface<C extends ErrorCode>(prefix: string): { readonly [K in C]: (typeof ERRORS)[K] } {
  return Object.fromEntries(Object.entries(ERRORS).filter(([code]) => code.startsWith(prefix))) as {
    [K in C]: (typeof ERRORS)[K];
  };
}

export const AUTH_ERRORS = surface<AuthErrorCode>('AUTH_');
export const JSON_API_ERRORS = surface<JsonApiErrorCode>('API_');

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];
export const AUTH_ERROR_CODES = Object.keys(AUTH_ERRORS) as AuthErrorCode[];
export const JSON_API_ERROR_CODES = Object.keys(JSON_API_ERRORS) as JsonApiErrorCode[];

/** One invalid field: a JSON pointer into the request part and a machine code (never the value). */
export interface FieldProblem {
  in: 'body' | 'query' | 'path';
  pointer: string;
  code: string;
}

interface ErrorOptions {
  /** Stable machine reason for the log (never shown to clients), e.g. `password_mismatch`. */
  reason?: string;
  cause?: unknown;
}

/** What AuthError and JsonApiError share: the code, its status and title, the log-only reason. */
export abstract class AuthServiceError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly status: number;
  readonly reason: string;

  constructor(code: C, options: ErrorOptions) {
    super(ERRORS[code].title, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERRORS[code].status;
    this.reason = options.reason ?? code.toLowerCase();
  }

  /** Response headers the answer carries besides the content type (Retry-After, WWW-Authenticate). */
  headers(): Record<string, string> {
    return {};
  }

  /** RFC 9457 problem document: generic text only, never the reason. */
  problem(requestId?: string): Record<string, unknown> {
    return problemFor(this.code, requestId);
  }
}

export function isAuthServiceError(value: unknown): value is AuthServiceError {
  return value instanceof AuthServiceError;
}

export interface AuthErrorOptions extends ErrorOptions {
  /** Field-level problems for form re-rendering: field name → generic message. Never echo input values. */
  fields?: Record<string, string>;
  /** Seconds until a throttled caller may retry. */
  retryAfterSec?: number;
}

export class AuthError extends AuthServiceError<AuthErrorCode> {
  readonly fields: Readonly<Record<string, string>>;
  readonly retryAfterSec: number | undefined;

  constructor(code: AuthErrorCode, options: AuthErrorOptions = {}) {
    super(code, options);
    this.name = 'AuthError';
    this.fields = Object.freeze({ ...options.fields });
    this.retryAfterSec = options.retryAfterSec;
  }

  override headers(): Record<string, string> {
    return this.retryAfterSec ? { 'retry-after': String(this.retryAfterSec) } : {};
  }
}

export function isAuthError(value: unknown): value is AuthError {
  return value instanceof AuthError;
}

export interface JsonApiErrorOptions extends ErrorOptions {
  errors?: FieldProblem[];
  /** extra WWW-Authenticate parameters for 401/403 Bearer answers */
  bearer?: { error?: 'invalid_token' | 'insufficient_scope'; scope?: string };
}

export class JsonApiError extends AuthServiceError<JsonApiErrorCode> {
  readonly errors: readonly FieldProblem[] | undefined;
  readonly bearer: JsonApiErrorOptions['bearer'];

  constructor(code: JsonApiErrorCode, options: JsonApiErrorOptions = {}) {
    super(code, options);
    this.name = 'JsonApiError';
    this.errors = options.errors;
    this.bearer = options.bearer;
  }

  override headers(): Record<string, string> {
    return this.bearer ? { 'www-authenticate': wwwAuthenticate(this.bearer) } : {};
  }

  override problem(requestId?: string): Record<string, unknown> {
    return { ...super.problem(requestId), ...(this.errors ? { errors: this.errors } : {}) };
  }
}

/** RFC 6750 §3 challenge for a 401/403 Bearer answer. */
export function wwwAuthenticate(bearer: { error?: string; scope?: string }): string {
  const params = ['realm="edgepass"'];
  if (bearer.error) params.push(`error="${bearer.error}"`);
  if (bearer.scope) params.push(`scope="${bearer.scope.replace(/["\\]/g, '')}"`);
  return `Bearer ${params.join(', ')}`;
}

/** RFC 9457 problem document for a code (generic text only). */
export function problemFor(code: ErrorCode, requestId?: string): Record<string, unknown> {
  return {
    type: `https://edgepass.dev/errors#${code.toLowerCase()}`,
    title: ERRORS[code].title,
    status: ERRORS[code].status,
    code,
    ...(requestId ? { requestId } : {}),
  };
}
