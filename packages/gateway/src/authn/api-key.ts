// `api_key`: `X-API-Key: ep_<env>_<random>` or `Authorization: ApiKey <key>`, looked up by SHA-256
// (base64url) in api_keys joined with the owner. Refused when unknown, revoked, expired or the owner is
// disabled; cached briefly; `api_key.changed` and `user.changed` drop cached entries.
import type { EdgeEvent, SqlExecutor } from '@edgepass/store';
import {
  type LookupResult,
  type OwnerRow,
  ownerFields,
  StoredCredentialAuthenticator,
  type StoredCredentialOptions,
} from './stored-credential.ts';
import { type Principal, scopeSet } from './types.ts';

/** ep_<env>_<random>: env in lower-case letters/digits, random base64url. */
export const API_KEY_FORMAT = /^ep_[a-z0-9]{1,16}_[A-Za-z0-9_-]{16,128}$/;

interface ApiKeyRow extends OwnerRow {
  id: string;
  owner_id: string;
  scopes: string[] | null;
  rate_limit_per_minute: number | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const QUERY = `SELECT k.id, k.owner_id, k.scopes, k.rate_limit_per_minute, k.expires_at, k.revoked_at,
  u.roles, u.plan, u.tenant, u.status
  FROM api_keys k JOIN users u ON u.id = k.owner_id WHERE k.hash = $1`;

export interface ApiKeyOptions extends StoredCredentialOptions {
  sql: SqlExecutor;
  /** records last_used_at in batches (store's ApiKeyLastUsedRecorder) */
  touch?: (id: string, at: Date) => void;
}

export class ApiKeyAuthenticator extends StoredCredentialAuthenticator {
  readonly id = 'api_key' as const;
  readonly #sql: SqlExecutor;
  readonly #touch: ((id: string, at: Date) => void) | undefined;

  constructor(options: ApiKeyOptions) {
    super(options);
    this.#sql = options.sql;
    this.#touch = options.touch;
  }

  protected wellFormed(value: string): boolean {
    return API_KEY_FORMAT.test(value);
  }

  protected async lookup(hash: string): Promise<LookupResult> {
    const { rows } = await this.#sql.query<ApiKeyRow>(QUERY, [hash]);
    const row = rows[0];
    if (row === undefined) return { refused: 'unknown_key' };
    const ids = { id: row.id, ownerId: row.owner_id };
    if (row.revoked_at !== null) return { refused: 'revoked', ...ids };
    if (row.status !== 'active') return { refused: 'owner_disabled', ...ids };
    const expiresAt = row.expires_at === null ? Number.POSITIVE_INFINITY : row.expires_at.getTime();
    const scope = (row.scopes ?? []).join(' ');
    const principal: Principal = Object.freeze({
      sub: row.owner_id,
      kind: 'service',
      via: 'api_key',
      ...ownerFields(row),
      scope,
      scopes: scopeSet(scope),
      src: `key:${row.id}`,
      ref: `key:${row.id}`,
      expiresAt,
      rateLimitPerMinute: row.rate_limit_per_minute ?? undefined,
    });
    return { principal, ...ids };
  }

  protected affectedBy(event: EdgeEvent, hash: string, result: LookupResult): boolean {
    if (event.type === 'api_key.changed') return event.hash === hash || event.id === result.id;
    if (event.type === 'user.changed') return event.id === result.ownerId;
    return false;
  }

  protected override used(result: LookupResult & { principal: Principal }, now: number): void {
    if (this.#touch !== undefined && result.id !== undefined) this.#touch(result.id, new Date(now));
  }
}
