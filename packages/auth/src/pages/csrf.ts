// CSRF synchronizer tokens for the HTML forms: HMAC-SHA256 (key derived from the master key) over a
// purpose and the server-side state the form acts on — the interaction uid (whose cookie only the
// browser that started it holds) or the browser session. Checked in constant time. Cookies are also
// SameSite=Lax, so a cross-site POST carries neither the cookie nor a valid token.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type CsrfPurpose = 'login' | 'signup' | 'consent' | 'link' | 'logout';

export class Csrf {
  readonly #key: Uint8Array;

  constructor(key: Uint8Array) {
    this.#key = key;
  }

  token(purpose: CsrfPurpose, binding: string): string {
    return createHmac('sha256', this.#key).update(`${purpose}\n${binding}`).digest('base64url');
  }

  verify(purpose: CsrfPurpose, binding: string, presented: unknown): boolean {
    if (typeof presented !== 'string' || presented.length === 0 || presented.length > 100) return false;
    const expected = Buffer.from(this.token(purpose, binding));
    const actual = Buffer.from(presented);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}
