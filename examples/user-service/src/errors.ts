// The user service's error registry (docs/errors.md, section "Example services"). Passport refusals
// (401/403/503) come from @edgepass/passport with its own codes; these are the service's own answers.
export const SIGNUP_ERRORS = {
  SIGNUP_INVALID_REQUEST: { status: 400, title: 'The request is invalid' },
  SIGNUP_NOT_FOUND: { status: 404, title: 'Not found' },
  SIGNUP_CONFLICT: { status: 409, title: 'The signup is no longer pending' },
  SIGNUP_BODY_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  SIGNUP_INTERNAL: { status: 500, title: 'The request could not be processed' },
} as const satisfies Record<string, { status: number; title: string }>;

export type SignupErrorCode = keyof typeof SIGNUP_ERRORS;

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: SignupErrorCode;
  [member: string]: unknown;
}

/** RFC 9457 body with generic text (same `type` base as the gateway and the passport adapters). */
export function problem(code: SignupErrorCode, extra: Record<string, unknown> = {}): Problem {
  const { status, title } = SIGNUP_ERRORS[code];
  return {
    type: `https://edgepass.dev/errors/${code.toLowerCase().replaceAll('_', '-')}`,
    title,
    status,
    code,
    ...extra,
  };
}
