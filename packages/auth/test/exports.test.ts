// The package's surface through its exports map, as the CLI imports it: the API-key and usage modules from
// `@edgepass/auth`, first-party helpers from `@edgepass/auth/internal` — the same objects as the modules
// behind them (the old deep paths keep working), and one error registry.
import assert from 'node:assert/strict';
import { test } from 'node:test';

test('@edgepass/auth/internal exports exactly the first-party helpers', async () => {
  const internal: Record<string, unknown> = await import('@edgepass/auth/internal');
  assert.deepEqual(Object.keys(internal).sort(), [
    'REDACT_PATHS',
    'SafeHtml',
    'escapeHtml',
    'html',
    'newNonce',
    'page',
    'pageHeaders',
  ]);
  const html = await import('../src/pages/html.ts');
  const logger = await import('../src/logger.ts');
  for (const name of ['SafeHtml', 'escapeHtml', 'html', 'newNonce', 'page', 'pageHeaders'] as const)
    assert.equal(internal[name], html[name], name);
  assert.equal(internal.REDACT_PATHS, logger.REDACT_PATHS);
  assert.equal(String(html.html`<p>${'<script>'}</p>`), '<p>&lt;script&gt;</p>');
});

test('@edgepass/auth exports the API-key and usage modules (every name of their index modules)', async () => {
  const auth: Record<string, unknown> = await import('@edgepass/auth');
  const apikeys: Record<string, unknown> = await import('../src/apikeys/index.ts');
  const usage: Record<string, unknown> = await import('../src/usage/index.ts');
  for (const [name, value] of Object.entries({ ...apikeys, ...usage })) assert.equal(auth[name], value, name);
  for (const name of ['apiKeyService', 'verifyApiKey', 'hashApiKey', 'findOwner', 'usageReport', 'setUserPlan'])
    assert.equal(typeof auth[name], 'function', name);
});

test('one error registry: both error classes and both surfaces come from @edgepass/auth', async () => {
  const auth = await import('@edgepass/auth');
  const api = await import('../src/api/index.ts');
  assert.equal(api.JsonApiError, auth.JsonApiError);
  assert.equal(api.JSON_API_ERRORS, auth.JSON_API_ERRORS);
  const error = new auth.JsonApiError('API_NOT_FOUND');
  assert.ok(error instanceof auth.AuthServiceError && auth.isAuthServiceError(error) && !auth.isAuthError(error));
  assert.ok(auth.isAuthServiceError(new auth.AuthError('AUTH_NOT_FOUND')));
  assert.deepEqual(Object.keys(auth.ERRORS).sort(), [...auth.AUTH_ERROR_CODES, ...auth.JSON_API_ERROR_CODES].sort());
});
