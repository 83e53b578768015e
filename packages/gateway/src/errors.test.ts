import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AuthnError, ERRORS, GatewayError } from './errors.ts';

function documentedCodes(): Map<string, string> {
  const file = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf('## Gateway (`@edgepass/gateway`)');
  assert.ok(start >= 0, 'docs/errors.md has a Gateway section');
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end === -1 ? undefined : end);
  const codes = new Map<string, string>();
  for (const match of section.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm))
    codes.set(match[1] as string, (match[2] as string).trim());
  return codes;
}

test('every registry code is in docs/errors.md with its status, and every documented code exists', () => {
  const documented = documentedCodes();
  for (const [code, entry] of Object.entries(ERRORS)) {
    assert.ok(documented.has(code), `${code} is documented`);
    assert.equal(documented.get(code), entry.status === 0 ? '—' : String(entry.status), `${code} status`);
  }
  for (const code of documented.keys()) assert.ok(code in ERRORS, `${code} (documented) exists in errors.ts`);
});

test('authn refusals map to 401 with the RFC 6750 challenge, unavailable dependencies to 503 without', () => {
  const missing = new AuthnError('missing');
  assert.deepEqual(
    [missing.code, missing.status, missing.headers?.['www-authenticate']],
    ['UNAUTHENTICATED', 401, 'Bearer realm="edgepass"'],
  );
  const expired = new AuthnError('expired');
  assert.deepEqual(
    [expired.code, expired.status, expired.headers?.['www-authenticate']],
    ['INVALID_CREDENTIAL', 401, 'Bearer realm="edgepass", error="invalid_token"'],
  );
  const down = new AuthnError('keys_unavailable');
  assert.deepEqual([down.code, down.status, down.headers], ['DEPENDENCY_UNAVAILABLE', 503, undefined]);
  assert.ok(expired instanceof GatewayError);
  assert.ok(!expired.message.includes('eyJ'), 'messages carry codes, never credentials');
});
