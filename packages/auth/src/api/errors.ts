// Error registry of the JSON API (API keys, usage, plans, admin): stable code → HTTP status and generic
// title. Codes are API: never rename or reuse one; every code is listed in docs/errors.md under
// "API keys and usage" (errors.test.ts checks both directions). The reason goes to the log only.

export const JSON_API_ERRORS = {
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
  API_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json.' },
  API_INTERNAL: { status: 500, title: 'Something went wrong.' },
  API_UNAVAILABLE: { status: 503, title: 'The service is temporarily unavailable.' },
} as const satisfies Record<string, { status: number; title: string }>;

export type JsonApiErrorCode = keyof typeof JSON_API_ERRORS;

export const JSON_API_ERROR_CODES = Object.keys(JSON_API_ERRORS) as JsonApiErrorCode[];

/** One invalid field: a JSON pointer into the request part and a machine code (never the value). */
export interface FieldProblem {
  in: 'body' | 'query' | 'path';
  pointer: string;
  code: string;
}

export interface JsonApiErrorOptions {
  /** stable reason for the log, e.g. `token_rejected` */
  reason?: string;
  errors?: FieldProblem[];
  /** extra WWW-Authenticate parameters for 401/403 Bearer answers */
  bearer?: { error?: 'invalid_token' | 'insufficient_scope'; scope?: string };
  cause?: unknown;
}

export class JsonApiError extends Error {
  readonly code: JsonApiErrorCode;
  readonly status: number;
  readonly reason: string;
  readonly errors: readonly FieldProblem[] | undefined;
  readonly bearer: JsonApiErrorOptions['bearer'];

  constructor(code: JsonApiErrorCode, options: JsonApiErrorOptions = {}) {
    super(JSON_API_ERRORS[code].title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JsonApiError';
    this.code = code;
    this.status = JSON_API_ERRORS[code].status;
    this.reason = options.reason ?? code.toLowerCase();
    this.errors = options.errors;
    this.bearer = options.bearer;
  }
}

/** RFC 9457 problem document (generic text only). */
export function jsonApiProblem(error: JsonApiError, requestId: string): Record<string, unknown> {
  return {
    type: `https://edgepass.dev/errors#${error.code.toLowerCase()}`,
    title: error.message,
    status: error.status,
    code: error.code,
    requestId,
    ...(error.errors ? { errors: error.errors } : {}),
  };
}
