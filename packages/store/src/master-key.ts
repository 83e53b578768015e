// The master key that encrypts signing keys at rest: 32 random bytes, base64url, from EDGEPASS_MASTER_KEY
// (or, for `edgepass dev` only, a file in the data directory). Values are never echoed in errors.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StoreError } from './errors.ts';

export const MASTER_KEY_BYTES = 32;
const BASE64URL_32 = /^[A-Za-z0-9_-]{43}$/;

/** A fresh master key, base64url (43 characters). */
export function generateMasterKey(): string {
  return randomBytes(MASTER_KEY_BYTES).toString('base64url');
}

function parseMasterKey(value: string, source: string): Uint8Array {
  const text = value.trim().replace(/=+$/, '');
  if (!BASE64URL_32.test(text)) {
    throw new StoreError(
      'MASTER_KEY_INVALID',
      `${source} must be ${MASTER_KEY_BYTES} random bytes in base64url (43 characters); generate one with: node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"`,
    );
  }
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

/** Reads EDGEPASS_MASTER_KEY. MASTER_KEY_MISSING when unset, MASTER_KEY_INVALID when not 32 bytes of base64url. */
export function loadMasterKey(env: NodeJS.ProcessEnv = process.env): Uint8Array {
  const value = env.EDGEPASS_MASTER_KEY;
  if (!value?.trim()) {
    throw new StoreError(
      'MASTER_KEY_MISSING',
      'EDGEPASS_MASTER_KEY is not set: signing keys are stored encrypted with it (32 random bytes, base64url)',
    );
  }
  return parseMasterKey(value, 'EDGEPASS_MASTER_KEY');
}

/**
 * For the embedded `edgepass dev` mode only: reads <dataDir>/master.key, creating it (mode 0600) on first
 * use. `memory://` returns a throwaway key. Production deployments set EDGEPASS_MASTER_KEY instead.
 */
export function ensureDevMasterKey(dataDir: string): Uint8Array {
  if (dataDir === 'memory://') return new Uint8Array(randomBytes(MASTER_KEY_BYTES));
  const dir = resolve(dataDir);
  const file = join(dir, 'master.key');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails when the file exists: two processes starting at once cannot both create one
    writeFileSync(file, `${generateMasterKey()}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  chmodSync(file, 0o600);
  return parseMasterKey(readFileSync(file, 'utf8'), file);
}
