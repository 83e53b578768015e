import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { isStoreError } from './errors.ts';
import { ensureDevMasterKey, generateMasterKey, loadMasterKey } from './master-key.ts';

test('loadMasterKey decodes 32 bytes of base64url from EDGEPASS_MASTER_KEY', () => {
  const bytes = randomBytes(32);
  const key = loadMasterKey({ EDGEPASS_MASTER_KEY: bytes.toString('base64url') });
  assert.deepEqual(Buffer.from(key), bytes);
  // surrounding whitespace and base64 padding are tolerated
  assert.deepEqual(Buffer.from(loadMasterKey({ EDGEPASS_MASTER_KEY: ` ${bytes.toString('base64url')}=\n` })), bytes);
  assert.equal(Buffer.from(generateMasterKey(), 'base64url').length, 32);
  assert.notEqual(generateMasterKey(), generateMasterKey());
});

test('loadMasterKey: unset or empty is MASTER_KEY_MISSING', () => {
  for (const env of [{}, { EDGEPASS_MASTER_KEY: '' }, { EDGEPASS_MASTER_KEY: '   ' }]) {
    assert.throws(
      () => loadMasterKey(env),
      (err) => isStoreError(err, 'MASTER_KEY_MISSING') && /EDGEPASS_MASTER_KEY/.test(err.message),
    );
  }
});

test('loadMasterKey: wrong length or alphabet is MASTER_KEY_INVALID and the value is never echoed', () => {
  const candidates = [
    randomBytes(16).toString('base64url'),
    randomBytes(33).toString('base64url'),
    randomBytes(31).toString('base64url'),
    `${randomBytes(32).toString('base64url').slice(0, 42)}!`,
    'correct horse battery staple correct horse!',
    randomBytes(32).toString('hex'),
  ];
  for (const value of candidates) {
    assert.throws(
      () => loadMasterKey({ EDGEPASS_MASTER_KEY: value }),
      (err) => isStoreError(err, 'MASTER_KEY_INVALID') && !inspect(err).includes(value.trim()),
      value,
    );
  }
});

test('ensureDevMasterKey creates <dataDir>/master.key once with mode 0600 and returns the same key afterwards', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'edgepass-mk-')), 'nested', 'data');
  try {
    const first = ensureDevMasterKey(dir);
    const file = join(dir, 'master.key');
    assert.equal(first.byteLength, 32);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /^[A-Za-z0-9_-]{43}\n$/);
    assert.deepEqual(ensureDevMasterKey(dir), first);

    writeFileSync(file, 'not a key');
    assert.throws(
      () => ensureDevMasterKey(dir),
      (err) => isStoreError(err, 'MASTER_KEY_INVALID') && !err.message.includes('not a key'),
    );
  } finally {
    rmSync(join(dir, '..', '..'), { recursive: true, force: true });
  }
});

test('ensureDevMasterKey("memory://") returns a fresh throwaway key and writes nothing', () => {
  const a = ensureDevMasterKey('memory://');
  const b = ensureDevMasterKey('memory://');
  assert.equal(a.byteLength, 32);
  assert.notDeepEqual(a, b);
});
