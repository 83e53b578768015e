import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  isStoreError,
  isStoreUnavailable,
  StoreError,
  StoreUnavailableError,
  storeErrorCodes,
  storeErrors,
} from './errors.ts';
import { checkServiceUrl, redactUrl } from './url.ts';

/** The codes listed under "## Store" in docs/errors.md, as `CODE` in backticks at the start of a table row or list item. */
function documentedCodes(): string[] {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith('Store'));
  assert.ok(section, 'docs/errors.md has a Store section');
  return [...section.matchAll(/^\|\s*`([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1]);
}

test('every store error code is documented in docs/errors.md, and every documented store code exists', () => {
  assert.deepEqual([...documentedCodes()].sort(), [...storeErrorCodes].sort());
});

test('StoreError carries code, status and cause; StoreUnavailableError is a STORE_UNAVAILABLE StoreError', () => {
  const cause = new Error('ECONNREFUSED');
  const err = new StoreUnavailableError('PostgreSQL is unavailable', { cause });
  assert.ok(err instanceof StoreError);
  assert.equal(err.code, 'STORE_UNAVAILABLE');
  assert.equal(StoreUnavailableError.code, 'STORE_UNAVAILABLE');
  assert.equal(err.status, 503);
  assert.equal(err.cause, cause);
  assert.equal(err.name, 'StoreUnavailableError');
  assert.ok(isStoreUnavailable(err));
  assert.ok(isStoreError(err, 'STORE_UNAVAILABLE'));
  assert.equal(isStoreError(err, 'MIGRATION_FAILED'), false);
  const other = new StoreError('MIGRATION_FAILED', 'x');
  assert.equal(other.status, storeErrors.MIGRATION_FAILED.status);
  assert.equal(isStoreUnavailable(other), false);
  assert.equal(isStoreUnavailable(new Error('x')), false);
});

test('redactUrl hides passwords and secret-looking query parameters, never throws', () => {
  assert.equal(redactUrl('postgres://app:s3cret@db:5432/edgepass'), 'postgres://app:***@db:5432/edgepass');
  assert.equal(redactUrl('redis://:s3cret@cache:6379/0'), 'redis://:***@cache:6379/0');
  assert.equal(
    redactUrl('postgres://db/edgepass?sslmode=require&password=s3cret'),
    'postgres://db/edgepass?sslmode=require&password=***',
  );
  assert.equal(redactUrl('redis://cache:6379'), 'redis://cache:6379');
  assert.equal(redactUrl('not a url with s3cret'), '<invalid url>');
});

test('checkServiceUrl accepts the listed schemes only and never echoes the URL', () => {
  assert.equal(
    checkServiceUrl('rediss://:s3cret@cache:6380', 'REDIS_URL', ['redis:', 'rediss:']),
    'rediss://:***@cache:6380',
  );
  for (const url of ['http://:s3cret@cache', 'cache:6379 s3cret', '']) {
    assert.throws(
      () => checkServiceUrl(url, 'REDIS_URL', ['redis:', 'rediss:']),
      (err) =>
        isStoreError(err, 'STORE_CONFIG_INVALID') && /REDIS_URL/.test(err.message) && !err.message.includes('s3cret'),
    );
  }
});
