// pino logger for the auth service. Redaction is a safety net: code never logs tokens, codes, passwords,
// secrets or cookies in the first place; these paths catch request objects that might carry them.

import type { Logger } from 'pino';
import { pino } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.client_secret',
  '*.clientSecret',
  '*.refresh_token',
  '*.access_token',
  '*.id_token',
  '*.code',
  '*.code_verifier',
  '*.token',
  '*.secret',
  '*.cookie',
];

export function createLogger(level: string = process.env.EDGEPASS_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: 'edgepass-auth', level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}
