// The vocabulary service's error registry (docs/errors.md, section "Example services"). Passport refusals
// (401/403/503) come from @edgepass/passport with its own codes; these are the service's own answers.
export const VOCABULARY_ERRORS = {
  VOCABULARY_INVALID_REQUEST: { status: 400, title: 'The request is invalid' },
  VOCABULARY_PREMIUM_REQUIRED: { status: 403, title: 'This endpoint requires the premium plan' },
  VOCABULARY_NOT_FOUND: { status: 404, title: 'Not found' },
  VOCABULARY_TRANSCRIPT_TOO_LARGE: { status: 413, title: 'The transcript exceeds the size limit' },
  VOCABULARY_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be JSON' },
  VOCABULARY_INTERNAL: { status: 500, title: 'The request could not be processed' },
} as const satisfies Record<string, { status: number; title: string }>;

export type VocabularyErrorCode = keyof typeof VOCABULARY_ERRORS;

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: VocabularyErrorCode;
}

/** RFC 9457 body with generic text (same `type` base as the gateway and the passport adapters). */
export function problem(code: VocabularyErrorCode): Problem {
  const { status, title } = VOCABULARY_ERRORS[code];
  return { type: `https://edgepass.dev/errors/${code.toLowerCase().replaceAll('_', '-')}`, title, status, code };
}

/** The code for an error Fastify raised before the handler ran (body parsing, schema validation). */
export function codeForFrameworkError(statusCode: number | undefined): VocabularyErrorCode {
  switch (statusCode) {
    case 400:
      return 'VOCABULARY_INVALID_REQUEST';
    case 413:
      return 'VOCABULARY_TRANSCRIPT_TOO_LARGE';
    case 415:
      return 'VOCABULARY_UNSUPPORTED_MEDIA_TYPE';
    default:
      return 'VOCABULARY_INTERNAL';
  }
}
