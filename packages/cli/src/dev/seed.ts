// The demo data of `edgepass dev`, created on the first run and checked on every later one (idempotent):
// a free demo user, a premium demo user, a signup-worker service account, the demo user's API key and the
// worker's API key. The plaintext password/keys from dev-credentials.json are reused while they still work
// against the database; anything missing or no longer valid (a wiped database, a revoked key) is replaced.
import { randomBytes } from 'node:crypto';
import { Accounts, apiKeyService, type User, verifyApiKey } from '@edgepass/auth';
import type { Store } from '@edgepass/store';
import type { Logger } from 'pino';
import {
  type DevAccount,
  type DevApiKey,
  type DevCredentials,
  readDevCredentials,
  writeDevCredentials,
} from './credentials.ts';

export const DEMO_EMAIL = 'demo@edgepass.local';
export const PREMIUM_EMAIL = 'premium@edgepass.local';
export const WORKER_EMAIL = 'signup-worker@edgepass.local';
/** What the demo routes require (see gateway-config.ts). */
export const VOCABULARY_SCOPE = 'vocabulary:read';
export const SIGNUP_MANAGE_SCOPE = 'signup:manage';
export const DEV_PLANS = ['free', 'premium'] as const;

export interface SeedOptions {
  store: Store;
  dataDir: string;
  logger: Logger;
  now?: () => Date;
}

export interface SeedResult {
  credentials: DevCredentials;
  /** true when something was created or replaced on this run */
  changed: boolean;
}

const newPassword = () => randomBytes(12).toString('base64url');

export async function seedDemo(options: SeedOptions): Promise<SeedResult> {
  const { store, dataDir, logger } = options;
  const now = options.now ?? (() => new Date());
  const saved = readDevCredentials(dataDir);
  const accounts = new Accounts({ store, plans: DEV_PLANS });
  const keys = apiKeyService({ sql: store.sql, pubsub: store.fast.pubsub, env: 'test', logger, now });
  let changed = false;

  async function user(email: string, plan: string, kept: DevAccount | undefined): Promise<[User, DevAccount]> {
    const existing = await accounts.findByEmail(email);
    if (!existing) {
      const password = kept?.password ?? newPassword();
      const created = await accounts.create({ email, password, plan, emailVerified: true, name: 'Demo' });
      changed = true;
      logger.info({ userId: created.id, email, plan }, 'demo user created');
      return [created, { email, password }];
    }
    if (kept && (await accounts.login(email, kept.password)).ok) return [existing, kept];
    const password = newPassword();
    await accounts.setPassword(existing.id, password);
    changed = true;
    logger.info({ userId: existing.id, email }, 'demo user password reset (dev-credentials.json was missing it)');
    return [existing, { email, password }];
  }

  async function serviceAccount(email: string): Promise<User> {
    const existing = await accounts.findByEmail(email);
    if (existing) return existing;
    changed = true;
    const created = await accounts.create({ email, roles: ['service'], emailVerified: true, name: 'Signup worker' });
    logger.info({ userId: created.id, email }, 'service account created');
    return created;
  }

  async function apiKey(owner: User, name: string, scopes: string[], kept: DevApiKey | undefined): Promise<DevApiKey> {
    if (kept) {
      const check = await verifyApiKey(store.sql, kept.key, now());
      if (check.valid && check.record.ownerId === owner.id && scopes.every((s) => check.record.scopes.includes(s)))
        return kept;
    }
    const issued = await keys.createApiKey({ ownerId: owner.id, name, scopes });
    changed = true;
    logger.info({ keyId: issued.record.id, owner: owner.email, scopes }, 'API key created');
    return { id: issued.record.id, key: issued.key };
  }

  const [demo, demoUser] = await user(DEMO_EMAIL, 'free', saved.demoUser);
  const [, premiumUser] = await user(PREMIUM_EMAIL, 'premium', saved.premiumUser);
  const worker = await serviceAccount(WORKER_EMAIL);
  const credentials: DevCredentials = {
    demoUser,
    premiumUser,
    demoApiKey: await apiKey(demo, 'demo key', [VOCABULARY_SCOPE], saved.demoApiKey),
    signupWorkerKey: await apiKey(worker, 'signup worker', [SIGNUP_MANAGE_SCOPE], saved.signupWorkerKey),
  };
  if (changed || Object.keys(saved).length < 4) writeDevCredentials(dataDir, credentials);
  return { credentials, changed };
}
