// Connection URLs carry passwords: they are checked without being echoed and only shown redacted.
import { StoreError } from './errors.ts';

/** postgres://user:secret@host/db → postgres://user:***@host/db (for messages and logs). Never throws. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(key)) u.searchParams.set(key, '***');
    }
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

/** Checks `url` (named after its environment variable) has one of `protocols`; returns it redacted, for messages. */
export function checkServiceUrl(url: string, variable: string, protocols: readonly string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // the URL (and so any password in it) is deliberately not part of the error
    throw new StoreError('STORE_CONFIG_INVALID', `${variable} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    const schemes = protocols.map((p) => `${p}//`).join(' or ');
    throw new StoreError('STORE_CONFIG_INVALID', `${variable} must start with ${schemes}`);
  }
  return redactUrl(url);
}
