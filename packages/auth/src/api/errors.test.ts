import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { JSON_API_ERROR_CODES, JSON_API_ERRORS, JsonApiError, jsonApiProblem } from './errors.ts';

const SECTION = '## API keys and usage (`@edgepass/auth` JSON API)';

function documentedCodes(): string[] {
  const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
  const start = doc.indexOf(SECTION);
  assert.ok(start >= 0, 'docs/errors.md has the JSON API section');
  const rest = doc.slice(start + SECTION.length);
  const end = rest.search(/\n## /);
  const section = end === -1 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^\| `([A-Z_]+)` +\| (\d{3}) +\|/gm)].map((m) => `${m[1]} ${m[2]}`);
}

test('every JSON API code is in docs/errors.md with its status, and every documented code exists', () => {
  const registry = JSON_API_ERROR_CODES.map((c) => `${c} ${JSON_API_ERRORS[c].status}`).sort();
  assert.deepEqual(documentedCodes().sort(), registry);
});

test('codes are namespaced API_ and titles are generic sentences', () => {
  for (const code of JSON_API_ERROR_CODES) {
    assert.match(code, /^API_[A-Z_]+$/);
    assert.match(JSON_API_ERRORS[code].title, /^[A-Z].*\.$/);
  }
});

test('a problem document carries the code, status, generic title and request id, never the reason', () => {
  const err = new JsonApiError('API_NOT_FOUND', { reason: 'api_key_not_found' });
  assert.deepEqual(jsonApiProblem(err, 'req-1'), {
    type: 'https://edgepass.dev/errors#api_not_found',
    title: 'Not found.',
    status: 404,
    code: 'API_NOT_FOUND',
    requestId: 'req-1',
  });
  assert.equal(err.reason, 'api_key_not_found');
});
