// Users, API keys and browser sessions written straight into the store's tables (as the auth service
// would), for the api_key and session tests. Every plaintext key and session value is kept in `secrets`
// so a test can assert that none reached the logs.
import { createHash, randomBytes } from 'node:crypto';
import type { SqlExecutor } from '@edgepass/store';

export const sha256 = (value: string): string => createHash('sha256').update(value).digest('base64url');

export class TestCredentials {
  readonly secrets: string[] = [];
  readonly #sql: SqlExecutor;
  /** the tests' fixed clock: revocation and default session expiry are relative to it */
  readonly #t0: number;

  constructor(sql: SqlExecutor, t0: number) {
    this.#sql = sql;
    this.#t0 = t0;
  }

  async user(id: string, fields: { roles?: string[]; plan?: string; status?: string } = {}): Promise<void> {
    await this.#sql.query(`INSERT INTO users (id, email, roles, plan, status) VALUES ($1, $2, $3, $4, $5)`, [
      id,
      `${id}@example.test`,
      fields.roles ?? ['member'],
      fields.plan ?? 'free',
      fields.status ?? 'active',
    ]);
  }

  async apiKey(
    owner: string,
    fields: { scopes?: string[]; expiresAt?: Date; revoked?: boolean; rateLimit?: number } = {},
  ): Promise<{ id: string; key: string }> {
    const key = `ep_test_${randomBytes(32).toString('base64url')}`;
    const id = `key_${randomBytes(6).toString('hex')}`;
    this.secrets.push(key);
    await this.#sql.query(
      `INSERT INTO api_keys (id, owner_id, env, prefix, hash, scopes, rate_limit_per_minute, expires_at, revoked_at)
       VALUES ($1, $2, 'test', $3, $4, $5, $6, $7, $8)`,
      [
        id,
        owner,
        key.slice(0, 12),
        sha256(key),
        fields.scopes ?? ['vocabulary:read'],
        fields.rateLimit ?? null,
        fields.expiresAt ?? null,
        fields.revoked ? new Date(this.#t0) : null,
      ],
    );
    return { id, key };
  }

  async session(user: string, fields: { expiresAt?: Date; revoked?: boolean } = {}): Promise<string> {
    const value = randomBytes(32).toString('base64url');
    this.secrets.push(value);
    await this.#sql.query(`INSERT INTO sessions (id_hash, user_id, expires_at, revoked_at) VALUES ($1, $2, $3, $4)`, [
      sha256(value),
      user,
      fields.expiresAt ?? new Date(this.#t0 + 3600_000),
      fields.revoked ? new Date(this.#t0) : null,
    ]);
    return value;
  }

  /** Revokes in the database only (no event). */
  async revokeApiKey(id: string): Promise<void> {
    await this.#sql.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [id]);
  }

  /** Revokes in the database only (no event). */
  async revokeSession(value: string): Promise<void> {
    await this.#sql.query(`UPDATE sessions SET revoked_at = now() WHERE id_hash = $1`, [sha256(value)]);
  }
}
