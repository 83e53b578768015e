// `api_key`: `X-API-Key: ep_<env>_<random>` or `Authorization: ApiKey <key>`, looked up by SHA-256
// (base64url) in api_keys joined with the owner. Refused when unknown, revoked, expired or the owner is
// disabled; cached briefly; `api_key.changed` and `user.changed` drop cached entries.
import type { EdgeEvent } from '@edgepass/store';
import type { AuthnReason } from '../errors.ts';
import {
  type LookupResult,
  ownerFields,
  StoredCredentialAuthenticator,
  type StoredCredentialOptions,
  type StoredRow,
} from './stored-credential.ts';
import { type Principal, scopeSet } from './types.ts';

/** ep_<env>_<random>: env in lower-case letters/digits, random base64url. */
export const API_KEY_FORMAT = /^ep_[a-z0-9]{1,16}_[A-Za-z0-9_-]{16,128}$/;

interface ApiKeyRow extends StoredRow {
  id: string;
  owner_id: string;
  scopes: string[] | null;
  rate_limit_per_minute: number | null;
  expires_at: Date | null;
}

export interface ApiKeyOptions extends StoredCredentialOptions {
  /** records last_used_at (unix ms), written in batches (usage/paced-writer.ts) */
  touch?: (id: string, atMs: number) => void;
}

export class ApiKeyAuthenticator extends StoredCredentialAuthenticator<ApiKeyRow> {
  readonly id = 'api_key' as const;
  protected readonly query = `SELECT k.id, k.owner_id, k.scopes, k.rate_limit_per_minute, k.expires_at, k.revoked_at,
    u.roles, u.plan, u.tenant, u.status
    FROM api_keys k JOIN users u ON u.id = k.owner_id WHERE k.hash = $1`;
  protected readonly unknownReason: AuthnReason = 'unknown_key';
  readonly #touch: ((id: string, atMs: number) => void) | undefined;

  constructor(options: ApiKeyOptions) {
    super(options);
    this.#touch = options.touch;
  }

  protected wellFormed(value: string): boolean {
    return API_KEY_FORMAT.test(value);
  }

  protected identify(row: ApiKeyRow): { id: string; ownerId: string } {
    return { id: row.id, ownerId: row.owner_id };
  }

  protected principalOf(row: ApiKeyRow): Principal {
    const scope = (row.scopes ?? []).join(' ');
    return {
      sub: row.owner_id,
      kind: 'service',
      via: 'api_key',
      ...ownerFields(row),
      scope,
      scopes: scopeSet(scope),
      src: `key:${row.id}`,
      ref: `key:${row.id}`,
      expiresAt: row.expires_at === null ? Number.POSITIVE_INFINITY : row.expires_at.getTime(),
      rateLimitPerMinute: row.rate_limit_per_minute ?? undefined,
    };
  }

  protected affectedBy(event: EdgeEvent, hash: string, result: LookupResult): boolean {
    if (event.type === 'api_key.changed') return event.hash === hash || event.id === result.id;
    if (event.type === 'user.changed') return event.id === result.ownerId;
    return false;
  }

  protected override used(result: LookupResult & { principal: Principal }, now: number): void {
    if (this.#touch !== undefined && result.id !== undefined) this.#touch(result.id, now);
  }
}
