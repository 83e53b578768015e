// The gateway's error registry: stable code → HTTP status, title and generic detail. Codes are API:
// never rename or reuse one; docs/errors.md lists every code (a test checks both directions).
// Clients only ever see the generic text; the precise reason goes to the log.
import { INVALID_CREDENTIAL_HEADERS, MISSING_CREDENTIAL_HEADERS } from './challenge.ts';

export const ERRORS = {
  UNAUTHENTICATED: { status: 401, title: 'Unauthorized', detail: 'This resource requires authentication.' },
  INVALID_CREDENTIAL: { status: 401, title: 'Unauthorized', detail: 'The credential presented is not valid.' },
  QUOTA_EXCEEDED: {
    status: 402,
    title: 'Quota exceeded',
    detail: 'The quota of your plan for this period is used up.',
  },
  INSUFFICIENT_SCOPE: {
    status: 403,
    title: 'Forbidden',
    detail: 'The credential does not grant access to this resource.',
  },
  ROLE_REQUIRED: {
    status: 403,
    title: 'Forbidden',
    detail: 'This resource requires a role the credential does not have.',
  },
  PLAN_REQUIRED: {
    status: 403,
    title: 'Forbidden',
    detail: 'This resource is not included in your plan.',
  },
  ROUTE_NOT_FOUND: { status: 404, title: 'Not Found', detail: 'No route matches this request.' },
  BAD_REQUEST: { status: 400, title: 'Bad Request', detail: 'The request could not be understood.' },
  RATE_LIMITED: { status: 429, title: 'Too Many Requests', detail: 'Slow down and retry after the indicated time.' },
  INTERNAL_ERROR: { status: 500, title: 'Internal Server Error', detail: 'The request could not be handled.' },
  UPSTREAM_CONNECT_FAILED: { status: 502, title: 'Bad Gateway', detail: 'The upstream service could not be reached.' },
  UPSTREAM_UNAVAILABLE: { status: 503, title: 'Service Unavailable', detail: 'The upstream service is unavailable.' },
  DEPENDENCY_UNAVAILABLE: {
    status: 503,
    title: 'Service Unavailable',
    detail: 'The gateway cannot handle this request right now.',
  },
  NOT_READY: { status: 503, title: 'Service Unavailable', detail: 'The gateway is not ready yet.' },
  UPSTREAM_TIMEOUT: { status: 504, title: 'Gateway Timeout', detail: 'The upstream service did not answer in time.' },
  CONFIG_INVALID: { status: 0, title: 'Invalid configuration', detail: 'The configuration file is not valid.' },
} as const satisfies Record<string, { status: number; title: string; detail: string }>;

export type ErrorCode = keyof typeof ERRORS;
export type HttpErrorCode = Exclude<ErrorCode, 'CONFIG_INVALID'>;

/** An error that ends a request with a problem+json response. `reason` is for the log only. */
export class GatewayError extends Error {
  readonly code: HttpErrorCode;
  readonly status: number;
  readonly reason: string;
  /** Extra response headers (WWW-Authenticate, Retry-After, RateLimit-*). */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(code: HttpErrorCode, reason: string, headers?: Readonly<Record<string, string>>, options?: ErrorOptions) {
    super(`${code}: ${reason}`, options);
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.reason = reason;
    this.headers = headers;
  }
}

/** Why a credential was refused: a stable code for logs and the `edgepass_authn_total{outcome}` metric. */
export type AuthnReason =
  | 'missing'
  | 'malformed'
  | 'unsupported_scheme'
  | 'multiple_credentials'
  | 'not_accepted'
  | 'unknown_issuer'
  | 'alg_not_allowed'
  | 'unknown_kid'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_typ'
  | 'invalid_claims'
  | 'revoked'
  | 'unknown_key'
  | 'owner_disabled'
  | 'unknown_session'
  | 'keys_unavailable'
  | 'store_unavailable';

/** Thrown by authenticators. 401 unless the reason is an unavailable dependency (503). */
export class AuthnError extends GatewayError {
  readonly authnReason: AuthnReason;
  constructor(reason: AuthnReason, options?: ErrorOptions) {
    const code: HttpErrorCode =
      reason === 'missing'
        ? 'UNAUTHENTICATED'
        : reason === 'keys_unavailable' || reason === 'store_unavailable'
          ? 'DEPENDENCY_UNAVAILABLE'
          : 'INVALID_CREDENTIAL';
    const headers =
      code === 'UNAUTHENTICATED'
        ? MISSING_CREDENTIAL_HEADERS
        : code === 'INVALID_CREDENTIAL'
          ? INVALID_CREDENTIAL_HEADERS
          : undefined;
    super(code, reason, headers, options);
    this.name = 'AuthnError';
    this.authnReason = reason;
  }
}

export interface ConfigIssue {
  /** `routes[2].upstream.targets[0]` */
  path: string;
  message: string;
}

/** An invalid edgepass.yaml. The message lists every issue as `path: reason`. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly issues: readonly ConfigIssue[];
  readonly source: string | undefined;
  constructor(issues: readonly ConfigIssue[], source?: string) {
    const list = issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
    super(`${source ? `${source}: ` : ''}invalid configuration\n${list}`);
    this.name = 'ConfigError';
    this.issues = issues;
    this.source = source;
  }
}
