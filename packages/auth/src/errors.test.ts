import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  AUTH_ERROR_CODES,
  AUTH_ERRORS,
  AuthError,
  ERROR_CODES,
  ERRORS,
  JSON_API_ERROR_CODES,
  JSON_API_ERRORS,
  JsonApiError,
  problemFor,
} from './errors.ts';

const SECTION = '## Auth service (`@edgepass/auth`)';

/** `CODE status` for every row of the auth service's section of docs/errors.md (both its subsections). */
function documented(): string[] {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const start = doc.indexOf(SECTION);
  assert.ok(start >= 0, 'docs/errors.md has the auth service section');
  const [section = ''] = doc.slice(start + SECTION.length).split(/\n## /);
  return [...section.matchAll(/^\| `([A-Z_]+)` +\| (\d{3}) +\|/gm)].map(([, code, status]) => `${code} ${status}`);
}

test('docs/errors.md lists exactly the registry’s codes with their statuses (both directions)', () => {
  const registry = ERROR_CODES.map((code) => `${code} ${ERRORS[code].status}`);
  assert.deepEqual([...documented()].sort(), [...registry].sort());
});

test('one registry of two surfaces: AUTH_* and API_* codes, no code in both, titles generic sentences', () => {
  assert.deepEqual([...ERROR_CODES].sort(), [...AUTH_ERROR_CODES, ...JSON_API_ERROR_CODES].sort());
  assert.equal(new Set(ERROR_CODES).size, AUTH_ERROR_CODES.length + JSON_API_ERROR_CODES.length);
  for (const code of AUTH_ERROR_CODES) assert.match(code, /^AUTH_[A-Z_]+$/);
  for (const code of JSON_API_ERROR_CODES) assert.match(code, /^API_[A-Z_]+$/);
  for (const code of ERROR_CODES) assert.match(ERRORS[code].title, /^[A-Z][^{}]*\.$/);
  for (const code of AUTH_ERROR_CODES) assert.deepEqual(ERRORS[code], AUTH_ERRORS[code]);
  for (const code of JSON_API_ERROR_CODES) assert.deepEqual(ERRORS[code], JSON_API_ERRORS[code]);
});

test('titles are generic sentences and never carry the reason', () => {
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
  assert.deepEqual(err.problem('req_1'), problemFor(err.code, 'req_1'));
  assert.equal(JSON.stringify(problemFor(err.code)).includes('password_mismatch'), false);
  assert.deepEqual(err.headers(), {});
  assert.deepEqual(new AuthError('AUTH_THROTTLED', { retryAfterSec: 42 }).headers(), { 'retry-after': '42' });
});

test('a JSON API problem document carries the code, status, generic title and request id, never the reason', () => {
  const err = new JsonApiError('API_NOT_FOUND', { reason: 'api_key_not_found' });
  assert.deepEqual(err.problem('req-1'), {
    type: 'https://edgepass.dev/errors#api_not_found',
    title: 'Not found.',
    status: 404,
    code: 'API_NOT_FOUND',
    requestId: 'req-1',
  });
  assert.equal(err.reason, 'api_key_not_found');
  assert.deepEqual(err.headers(), {});
  const invalid = new JsonApiError('API_VALIDATION_FAILED', {
    reason: 'body_invalid',
    errors: [{ in: 'body', pointer: '/name', code: 'too_big' }],
  });
  assert.deepEqual(invalid.problem('req-2').errors, [{ in: 'body', pointer: '/name', code: 'too_big' }]);
});

test('JSON API 401/403 answers carry an RFC 6750 Bearer challenge (quotes in a scope dropped)', () => {
  const missing = new JsonApiError('API_INVALID_TOKEN', { bearer: {} });
  assert.deepEqual(missing.headers(), { 'www-authenticate': 'Bearer realm="edgepass"' });
  const scope = new JsonApiError('API_INSUFFICIENT_SCOPE', {
    bearer: { error: 'insufficient_scope', scope: 'usage:read"x\\' },
  });
  assert.deepEqual(scope.headers(), {
    'www-authenticate': 'Bearer realm="edgepass", error="insufficient_scope", scope="usage:readx"',
  });
});
