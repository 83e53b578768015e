// docs/errors.md lists every code of both example services' registries, with its status, and nothing else.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SIGNUP_ERRORS } from '@edgepass/example-user-service';
import { VOCABULARY_ERRORS } from '../src/errors.ts';

function documentedCodes(): string[] {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const start = doc.indexOf('## Example services (`examples/`)');
  assert.notEqual(start, -1, 'docs/errors.md has an "Example services" section');
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/^\| `([A-Z_]+)` +\| (\d{3}) +\|/gm)].map((m) => `${m[1]} ${m[2]}`);
}

test('every example-service error code is in docs/errors.md with its status, and every documented one exists', () => {
  const registry = Object.entries({ ...VOCABULARY_ERRORS, ...SIGNUP_ERRORS }).map(
    ([code, { status }]) => `${code} ${status}`,
  );
  assert.equal(registry.length, Object.keys(VOCABULARY_ERRORS).length + Object.keys(SIGNUP_ERRORS).length);
  assert.deepEqual(documentedCodes().sort(), registry.sort());
});
