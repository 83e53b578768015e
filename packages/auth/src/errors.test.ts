import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { AUTH_ERROR_CODES, AUTH_ERRORS, AuthError, problemFor } from './errors.ts';

/** `CODE status` for every row of the auth service's table in docs/errors.md. */
function documented(): string[] {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const [, afterHeading = ''] = doc.split('## Auth service (`@edgepass/auth`)');
  const [section = ''] = afterHeading.split(/\n## /);
  return [...section.matchAll(/^\| `(AUTH_[A-Z_]+)` \| (\d{3}) \|/gm)].map(([, code, status]) => `${code} ${status}`);
}

test('docs/errors.md lists exactly the registry’s codes with their statuses (both directions)', () => {
  const registry = AUTH_ERROR_CODES.map((code) => `${code} ${AUTH_ERRORS[code].status}`);
  assert.deepEqual([...documented()].sort(), [...registry].sort());
});

test('titles are generic sentences and never carry the reason', () => {
  for (const code of AUTH_ERROR_CODES) assert.match(AUTH_ERRORS[code].title, /^[A-Z][^{}]*\.$/);
  const err = new AuthError('AUTH_LOGIN_FAILED', { reason: 'password_mismatch' });
  assert.equal(err.message, 'Invalid email or password.');
  assert.equal(err.status, 401);
  assert.deepEqual(problemFor(err.code, 'req_1'), {
    type: 'https://edgepass.dev/errors#auth_login_failed',
    title: 'Invalid email or password.',
    status: 401,
    code: 'AUTH_LOGIN_FAILED',
    requestId: 'req_1',
  });
  assert.equal(JSON.stringify(problemFor(err.code)).includes('password_mismatch'), false);
});
