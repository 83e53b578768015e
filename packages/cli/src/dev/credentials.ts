// <data-dir>/dev-credentials.json (mode 0600): the plaintext demo password and API keys of `edgepass dev`,
// so that later runs print the same ones. The database keeps only hashes; this file is the only other copy
// and its contents go to the start banner on stdout only, never to the logger.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface DevAccount {
  readonly email: string;
  readonly password: string;
}

export interface DevApiKey {
  readonly id: string;
  readonly key: string;
}

export interface DevCredentials {
  readonly demoUser: DevAccount;
  readonly premiumUser: DevAccount;
  /** the demo user's key, with the scopes the demo routes need */
  readonly demoApiKey: DevApiKey;
  /** the signup worker's key (scope signup:manage) */
  readonly signupWorkerKey: DevApiKey;
}

export const CREDENTIALS_FILE = 'dev-credentials.json';
/** A throwaway in-memory database keeps no file either. */
const MEMORY = 'memory://';

export function credentialsPath(dataDir: string): string {
  return join(resolve(dataDir), CREDENTIALS_FILE);
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function account(v: unknown): DevAccount | undefined {
  const o = v as Partial<DevAccount> | undefined;
  return o && isText(o.email) && isText(o.password) ? { email: o.email, password: o.password } : undefined;
}

function apiKey(v: unknown): DevApiKey | undefined {
  const o = v as Partial<DevApiKey> | undefined;
  return o && isText(o.id) && isText(o.key) ? { id: o.id, key: o.key } : undefined;
}

/** What the file holds; members that are missing or malformed are left out (they get re-created). */
export function readDevCredentials(dataDir: string): Partial<DevCredentials> {
  if (dataDir === MEMORY) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(credentialsPath(dataDir), 'utf8'));
  } catch {
    return {};
  }
  if (typeof raw !== 'object' || raw === null) return {};
  const o = raw as Record<string, unknown>;
  const out: { -readonly [K in keyof DevCredentials]?: DevCredentials[K] } = {};
  const demoUser = account(o.demoUser);
  const premiumUser = account(o.premiumUser);
  const demoApiKey = apiKey(o.demoApiKey);
  const signupWorkerKey = apiKey(o.signupWorkerKey);
  if (demoUser) out.demoUser = demoUser;
  if (premiumUser) out.premiumUser = premiumUser;
  if (demoApiKey) out.demoApiKey = demoApiKey;
  if (signupWorkerKey) out.signupWorkerKey = signupWorkerKey;
  return out;
}

/** Writes the file atomically (temp file + rename), readable by its owner only. */
export function writeDevCredentials(dataDir: string, credentials: DevCredentials): void {
  if (dataDir === MEMORY) return;
  const file = credentialsPath(dataDir);
  mkdirSync(resolve(dataDir), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}
