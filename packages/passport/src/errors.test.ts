import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as errors from './errors.ts';
import { PASSPORT_ERROR_CODES, PASSPORT_ERRORS, PassportError } from './errors.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const packageRoot = fileURLToPath(new URL('../', import.meta.url));

function documentedCodes(): string[] {
  const doc = readFileSync(`${root}docs/errors.md`, 'utf8');
  const start = doc.indexOf('## Passport (`@edgepass/passport`)');
  assert.notEqual(start, -1, 'docs/errors.md has a Passport section');
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => `${m[1]} ${m[2]}`);
}

describe('error registry', () => {
  test('every code is in docs/errors.md with its status, and every documented code exists', () => {
    const registry = PASSPORT_ERROR_CODES.map((code) => `${code} ${PASSPORT_ERRORS[code].status}`).sort();
    assert.deepEqual(documentedCodes().sort(), registry);
  });

  test('each subclass carries its code as static and instance, its status, and a generic message', () => {
    const classes = Object.values(errors).filter(
      (v): v is typeof PassportError & (new () => PassportError) =>
        typeof v === 'function' && v.prototype instanceof PassportError,
    );
    const thrownCodes = PASSPORT_ERROR_CODES.filter((c) => c !== 'PASSPORT_INVALID');
    assert.deepEqual(classes.map((c) => c.code).sort(), [...thrownCodes].sort());
    for (const ErrorClass of classes) {
      const error = new ErrorClass();
      const code = ErrorClass.code as errors.PassportErrorCode;
      assert.equal(error.code, code);
      assert.equal(error.status, PASSPORT_ERRORS[code].status);
      assert.equal(error.statusCode, error.status);
      assert.equal(error.message, PASSPORT_ERRORS[code].title);
      assert.equal(error.name, ErrorClass.name);
      assert.ok(error instanceof PassportError && error instanceof Error);
    }
    assert.equal(PassportError.code, undefined);
  });

  test('claim and cause are kept for logs', () => {
    const cause = new Error('jose detail');
    const error = new errors.PassportWrongAudience(undefined, { claim: 'aud', cause });
    assert.equal(error.claim, 'aud');
    assert.equal(error.cause, cause);
    assert.equal(new errors.PassportExpired().claim, undefined);
    assert.equal('cause' in new errors.PassportExpired(), false);
  });

  test('the registry is frozen and the statuses are only 401, 403 and 503', () => {
    assert.equal(Object.isFrozen(PASSPORT_ERROR_CODES), true);
    for (const code of PASSPORT_ERROR_CODES) assert.ok([401, 403, 503].includes(PASSPORT_ERRORS[code].status), code);
  });

  test("every code is asserted by at least one of the package's tests", () => {
    const sources = [
      ...globSync('src/**/*.test.ts', { cwd: packageRoot }),
      ...globSync('test/**/*.ts', { cwd: packageRoot }),
    ]
      .filter((f) => !f.endsWith('errors.test.ts'))
      .map((f) => readFileSync(`${packageRoot}${f}`, 'utf8'))
      .join('\n');
    for (const code of PASSPORT_ERROR_CODES) assert.ok(sources.includes(`'${code}'`), `${code} is never asserted`);
  });
});
