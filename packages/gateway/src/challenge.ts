// RFC 6750 WWW-Authenticate challenges. A missing credential gets no error attribute.
export const REALM = 'edgepass';

function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

export function challenge(error?: 'invalid_token' | 'insufficient_scope', scope?: string): string {
  let header = `Bearer realm=${quoted(REALM)}`;
  if (error !== undefined) header += `, error=${quoted(error)}`;
  if (scope) header += `, scope=${quoted(scope)}`;
  return header;
}

export const MISSING_CREDENTIAL_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'www-authenticate': challenge(),
});
export const INVALID_CREDENTIAL_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'www-authenticate': challenge('invalid_token'),
});
