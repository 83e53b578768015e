// Which credential a request presents. Exactly one is considered: `Authorization` (Bearer → access
// token, the configured API-key scheme → API key) or an API-key header; both at once is refused. The
// session cookie is an ambient credential: it is only looked at on routes that accept sessions and when
// nothing explicit is presented (elsewhere it is ignored, and always stripped before proxying).
import type { IncomingHttpHeaders } from 'node:http';
import { AuthnError } from '../errors.ts';
import type { PresentedCredential } from './types.ts';

export interface CredentialNames {
  /** lower-case, e.g. `apikey` */
  readonly apiKeyScheme: string;
  /** lower-case header names, e.g. [`x-api-key`] */
  readonly apiKeyHeaders: readonly string[];
  readonly sessionCookie: string;
}

export const NO_CREDENTIAL: PresentedCredential = Object.freeze({ kind: 'none', value: '' });

function schemeCredential(authorization: string, names: CredentialNames): PresentedCredential {
  const space = authorization.indexOf(' ');
  if (space <= 0) throw new AuthnError('malformed');
  const scheme = authorization.slice(0, space).toLowerCase();
  const value = authorization.slice(space + 1).trim();
  if (value.length === 0 || value.includes(' ')) throw new AuthnError('malformed');
  if (scheme === 'bearer') return { kind: 'access_token', value };
  if (scheme === names.apiKeyScheme) return { kind: 'api_key', value };
  throw new AuthnError('unsupported_scheme');
}

/** The value of one cookie in a Cookie header, or undefined. */
export function cookieValue(header: string, name: string): string | undefined {
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      let value = header.slice(eq + 1, end).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return value;
    }
    start = end + 1;
  }
  return undefined;
}

export function presentedCredential(
  headers: IncomingHttpHeaders,
  names: CredentialNames,
  acceptsSession: boolean,
): PresentedCredential {
  const authorization = headers.authorization;
  let found: PresentedCredential | undefined =
    authorization === undefined ? undefined : schemeCredential(authorization, names);
  for (const name of names.apiKeyHeaders) {
    const value = headers[name];
    if (value === undefined) continue;
    if (found !== undefined || typeof value !== 'string') throw new AuthnError('multiple_credentials');
    if (value.length === 0) throw new AuthnError('malformed');
    found = { kind: 'api_key', value };
  }
  if (found !== undefined) return found;
  if (acceptsSession && headers.cookie !== undefined) {
    const value = cookieValue(headers.cookie, names.sessionCookie);
    if (value !== undefined) return value.length > 0 ? { kind: 'session', value } : NO_CREDENTIAL;
  }
  return NO_CREDENTIAL;
}
