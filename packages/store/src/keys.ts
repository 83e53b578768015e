// Signing keys at rest (table signing_keys). The auth service signs access tokens with use
// 'access_token' (ES256 by default, or RS256); gateways sign passports with use 'passport' (EdDSA).
// Lifecycle per use: next (published, not signing) → active (signing) → retired (published until
// not_after) → pruned. Every change runs under a per-use advisory lock and publishes `keys.changed`.
import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { StoreError } from './errors.ts';
import { decodeEvent, EVENTS_CHANNEL, encodeEvent } from './events.ts';
import { decryptPrivateJwk, encryptPrivateJwk } from './key-envelope.ts';
import type { PubSub, Sql, SqlExecutor, Unsubscribe } from './types.ts';

export type KeyUse = 'access_token' | 'passport';
export type KeyState = 'next' | 'active' | 'retired';

export const signingAlgorithms = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof signingAlgorithms)[number];

export const defaultSigningAlgorithm: Readonly<Record<KeyUse, SigningAlgorithm>> = {
  access_token: 'ES256',
  passport: 'EdDSA',
};

/** A public key as published in a JWKS. */
export interface PublicSigningJwk extends JWK {
  kid: string;
  alg: SigningAlgorithm;
  use: 'sig';
}

export interface ActiveSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  use: KeyUse;
  /** For jose's SignJWT.sign() or node:crypto.sign(). */
  privateKey: KeyObject;
  publicJwk: PublicSigningJwk;
}

export interface SigningKeyInfo {
  kid: string;
  use: KeyUse;
  alg: SigningAlgorithm;
  state: KeyState;
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
  notAfter: Date | null;
}

export interface SigningKeyStoreOptions {
  sql: Sql;
  /** 32 bytes (loadMasterKey / ensureDevMasterKey). */
  masterKey: Uint8Array;
  /** The store's pub/sub: changes are published as `keys.changed` and received from other instances. */
  pubsub?: PubSub;
  now?: () => Date;
  /** How long activeKey() reuses a decrypted key (default 30 s); changes announced on pub/sub drop it at once. */
  cacheTtlMs?: number;
  /** A change was committed but `keys.changed` could not be published (default: ignored; caches expire). */
  onPublishError?: (err: unknown) => void;
}

interface KeyRow {
  kid: string;
  use: KeyUse;
  alg: SigningAlgorithm;
  state: KeyState;
  public_jwk: PublicSigningJwk;
  private_jwk_enc: string;
  created_at: Date;
  activated_at: Date | null;
  retired_at: Date | null;
  not_after: Date | null;
}

const COLUMNS = 'kid, use, alg, state, public_jwk, created_at, activated_at, retired_at, not_after';
/** First key of pg_advisory_xact_lock(int, int): 'keys' in ASCII; the second is hashtext(use). */
const LOCK_CLASS = 0x6b657973;

function checkUse(use: KeyUse): void {
  if (use !== 'access_token' && use !== 'passport') throw new TypeError(`unknown signing key use: ${String(use)}`);
}

function checkAlg(alg: SigningAlgorithm): void {
  if (!signingAlgorithms.includes(alg)) {
    throw new TypeError(`unsupported signing algorithm ${String(alg)} (allowed: ${signingAlgorithms.join(', ')})`);
  }
}

const info = (row: KeyRow): SigningKeyInfo => ({
  kid: row.kid,
  use: row.use,
  alg: row.alg,
  state: row.state,
  createdAt: row.created_at,
  activatedAt: row.activated_at,
  retiredAt: row.retired_at,
  notAfter: row.not_after,
});

interface GeneratedKey {
  kid: string;
  alg: SigningAlgorithm;
  publicJwk: PublicSigningJwk;
  privateJwk: JWK;
}

async function generate(alg: SigningAlgorithm): Promise<GeneratedKey> {
  const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const bare = await exportJWK(pair.publicKey);
  const kid = await calculateJwkThumbprint(bare, 'sha256');
  const publicJwk: PublicSigningJwk = { ...bare, kid, alg, use: 'sig' };
  return { kid, alg, publicJwk, privateJwk: { ...(await exportJWK(pair.privateKey)), kid, alg } };
}

export class SigningKeyStore {
  readonly #sql: Sql;
  readonly #masterKey: Uint8Array;
  readonly #pubsub: PubSub | undefined;
  readonly #now: () => Date;
  readonly #cacheTtlMs: number;
  readonly #onPublishError: (err: unknown) => void;
  readonly #cache = new Map<KeyUse, { at: number; key: Promise<ActiveSigningKey> }>();
  readonly #listeners = new Set<(use: KeyUse) => void>();
  #unsubscribe: Unsubscribe | undefined;

  constructor(options: SigningKeyStoreOptions) {
    this.#sql = options.sql;
    this.#masterKey = options.masterKey;
    this.#pubsub = options.pubsub;
    this.#now = options.now ?? (() => new Date());
    this.#cacheTtlMs = options.cacheTtlMs ?? 30_000;
    this.#onPublishError = options.onPublishError ?? (() => {});
  }

  /** Creates the store and starts listening for `keys.changed` from other instances (when pubsub is given). */
  static async open(options: SigningKeyStoreOptions): Promise<SigningKeyStore> {
    const store = new SigningKeyStore(options);
    if (options.pubsub) {
      store.#unsubscribe = await options.pubsub.subscribe(EVENTS_CHANNEL, (message) => {
        const event = decodeEvent(message);
        if (event?.type === 'keys.changed') store.#changed(event.use);
      });
    }
    return store;
  }

  /** Stops listening for `keys.changed`. */
  async close(): Promise<void> {
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    await unsubscribe?.();
  }

  /**
   * Called after this store's cache for `use` was dropped because of a change made here or (with
   * pubsub, after open()) on another instance: reload JWKS / signing keys from the listener.
   */
  onChange(listener: (use: KeyUse) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The keys to publish for `use`: active, next, and retired keys whose not_after has not passed. Active first. */
  async publicJwks(use: KeyUse): Promise<{ keys: PublicSigningJwk[] }> {
    checkUse(use);
    const { rows } = await this.#sql.query<{ public_jwk: PublicSigningJwk }>(
      `SELECT public_jwk FROM signing_keys
        WHERE use = $1 AND (state IN ('active', 'next') OR (state = 'retired' AND (not_after IS NULL OR not_after > $2)))
        ORDER BY CASE state WHEN 'active' THEN 0 WHEN 'next' THEN 1 ELSE 2 END, created_at DESC, kid`,
      [use, this.#now()],
    );
    return { keys: rows.map((r) => r.public_jwk) };
  }

  /** The key that signs now. SIGNING_KEY_NOT_FOUND when `use` has none (call ensureActive at start). */
  async activeKey(use: KeyUse): Promise<ActiveSigningKey> {
    checkUse(use);
    const cached = this.#cache.get(use);
    if (cached && Date.now() - cached.at < this.#cacheTtlMs) return await cached.key;
    const entry = { at: Date.now(), key: this.#loadActive(use) };
    this.#cache.set(use, entry);
    try {
      return await entry.key;
    } catch (err) {
      if (this.#cache.get(use) === entry) this.#cache.delete(use);
      throw err;
    }
  }

  /**
   * Returns the active key, creating and activating one with `alg` when `use` has none. Safe when many
   * instances start at once: exactly one key becomes active. An existing key is kept even if its alg differs.
   */
  async ensureActive(use: KeyUse, alg: SigningAlgorithm = defaultSigningAlgorithm[use]): Promise<ActiveSigningKey> {
    checkUse(use);
    checkAlg(alg);
    const existing = await this.#find(this.#sql, use, 'active');
    if (!existing) {
      const key = await generate(alg);
      const created = await this.#locked(use, async (tx) => {
        if (await this.#find(tx, use, 'active')) return false;
        await this.#insert(tx, use, key, 'active');
        return true;
      });
      if (created) await this.#announce(use);
    }
    return await this.activeKey(use);
  }

  /**
   * Publishes a next key (in the JWKS, not signing). A next key with the same alg is kept; one with another alg is
   * replaced. Without `alg`: the algorithm of the key that signs now, else defaultSigningAlgorithm.
   */
  async stageNext(use: KeyUse, requested?: SigningAlgorithm): Promise<{ kid: string; alg: SigningAlgorithm }> {
    checkUse(use);
    const alg = requested ?? (await this.#find(this.#sql, use, 'active'))?.alg ?? defaultSigningAlgorithm[use];
    checkAlg(alg);
    const current = await this.#find(this.#sql, use, 'next');
    if (current?.alg === alg) return { kid: current.kid, alg };
    const key = await generate(alg);
    const staged = await this.#locked(use, async (tx) => {
      const next = await this.#find(tx, use, 'next');
      if (next?.alg === alg) return { kid: next.kid, alg, created: false };
      if (next) await tx.query(`DELETE FROM signing_keys WHERE kid = $1`, [next.kid]);
      await this.#insert(tx, use, key, 'next');
      return { kid: key.kid, alg, created: true };
    });
    if (staged.created) await this.#announce(use);
    return { kid: staged.kid, alg: staged.alg };
  }

  /**
   * next → active; the previous active key → retired, published until now + retireAfterSec (use the longest
   * lifetime of anything it signed). SIGNING_KEY_NOT_FOUND when no key was staged.
   */
  async promoteNext(
    use: KeyUse,
    options: { retireAfterSec: number },
  ): Promise<{ activeKid: string; retiredKid: string | null }> {
    checkUse(use);
    if (!Number.isFinite(options.retireAfterSec) || options.retireAfterSec < 0) {
      throw new TypeError('retireAfterSec must be a number >= 0');
    }
    const now = this.#now();
    const notAfter = new Date(now.getTime() + options.retireAfterSec * 1000);
    const result = await this.#locked(use, async (tx) => {
      const next = await this.#find(tx, use, 'next');
      if (!next) throw new StoreError('SIGNING_KEY_NOT_FOUND', `no next ${use} key to promote: stage one first`);
      const retired = await tx.query<{ kid: string }>(
        `UPDATE signing_keys SET state = 'retired', retired_at = $2, not_after = $3
          WHERE use = $1 AND state = 'active' RETURNING kid`,
        [use, now, notAfter],
      );
      await tx.query(`UPDATE signing_keys SET state = 'active', activated_at = $2 WHERE kid = $1`, [next.kid, now]);
      return { activeKid: next.kid, retiredKid: retired.rows[0]?.kid ?? null };
    });
    await this.#announce(use);
    return result;
  }

  /** stageNext + promoteNext in one go, without an overlap for caches (dev / emergencies); `alg` as for stageNext. */
  async rotateNow(
    use: KeyUse,
    options: { alg?: SigningAlgorithm; retireAfterSec: number },
  ): Promise<{ activeKid: string; retiredKid: string | null }> {
    await this.stageNext(use, options.alg);
    return await this.promoteNext(use, options);
  }

  /** Deletes retired keys whose not_after has passed; returns how many. */
  async pruneRetired(): Promise<number> {
    const { rows } = await this.#sql.query<{ use: KeyUse }>(
      `DELETE FROM signing_keys WHERE state = 'retired' AND not_after IS NOT NULL AND not_after <= $1 RETURNING use`,
      [this.#now()],
    );
    for (const use of new Set(rows.map((r) => r.use))) await this.#announce(use);
    return rows.length;
  }

  /** Every stored key (no private parts), newest first. */
  async list(use?: KeyUse): Promise<SigningKeyInfo[]> {
    if (use) checkUse(use);
    const { rows } = await this.#sql.query<KeyRow>(
      `SELECT ${COLUMNS} FROM signing_keys WHERE $1::text IS NULL OR use = $1 ORDER BY created_at DESC, kid`,
      [use ?? null],
    );
    return rows.map(info);
  }

  async #loadActive(use: KeyUse): Promise<ActiveSigningKey> {
    const { rows } = await this.#sql.query<KeyRow>(
      `SELECT ${COLUMNS}, private_jwk_enc FROM signing_keys WHERE use = $1 AND state = 'active'`,
      [use],
    );
    const row = rows[0];
    if (!row) throw new StoreError('SIGNING_KEY_NOT_FOUND', `no active ${use} signing key`);
    const jwk = decryptPrivateJwk(row.private_jwk_enc, row.kid, this.#masterKey);
    const privateKey = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
    return { kid: row.kid, alg: row.alg, use, privateKey, publicJwk: row.public_jwk };
  }

  async #find(on: SqlExecutor, use: KeyUse, state: KeyState): Promise<SigningKeyInfo | undefined> {
    const { rows } = await on.query<KeyRow>(`SELECT ${COLUMNS} FROM signing_keys WHERE use = $1 AND state = $2`, [
      use,
      state,
    ]);
    return rows[0] ? info(rows[0]) : undefined;
  }

  async #insert(tx: SqlExecutor, use: KeyUse, key: GeneratedKey, state: 'active' | 'next'): Promise<void> {
    const now = this.#now();
    await tx.query(
      `INSERT INTO signing_keys (kid, use, alg, public_jwk, private_jwk_enc, state, created_at, activated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        key.kid,
        use,
        key.alg,
        JSON.stringify(key.publicJwk),
        encryptPrivateJwk(key.privateJwk, key.kid, this.#masterKey),
        state,
        now,
        state === 'active' ? now : null,
      ],
    );
  }

  async #locked<T>(use: KeyUse, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return await this.#sql.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, `signing_keys:${use}`]);
      return await fn(tx);
    });
  }

  #changed(use: KeyUse): void {
    this.#cache.delete(use);
    for (const listener of this.#listeners) {
      try {
        listener(use);
      } catch {
        // a listener's failure must not undo a committed change or stop the other listeners
      }
    }
  }

  /** Drops the local cache, then tells every instance (including this one, through pub/sub). */
  async #announce(use: KeyUse): Promise<void> {
    this.#cache.delete(use);
    if (!this.#pubsub || !this.#unsubscribe) this.#changed(use);
    if (!this.#pubsub) return;
    try {
      await this.#pubsub.publish(EVENTS_CHANNEL, encodeEvent({ type: 'keys.changed', use }));
    } catch (err) {
      this.#onPublishError(err);
    }
  }
}
