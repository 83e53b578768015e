// `session`: the browser session cookie (`ep_session` by default), an opaque value whose SHA-256
// (base64url) is sessions.id_hash. Valid while not revoked, not expired and the user is active; the
// user's roles/plan come from `users`. `session.revoked` and `user.changed` drop cached entries.
import type { EdgeEvent, SqlExecutor } from '@edgepass/store';
import {
  type LookupResult,
  type OwnerRow,
  ownerFields,
  StoredCredentialAuthenticator,
  type StoredCredentialOptions,
} from './stored-credential.ts';
import { type Principal, scopeSet } from './types.ts';

const SESSION_FORMAT = /^[A-Za-z0-9_-]{16,256}$/;

interface SessionRow extends OwnerRow {
  user_id: string;
  expires_at: Date;
  revoked_at: Date | null;
}

const QUERY = `SELECT s.user_id, s.expires_at, s.revoked_at, u.roles, u.plan, u.tenant, u.status
  FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1`;

export interface SessionOptions extends StoredCredentialOptions {
  sql: SqlExecutor;
  /** the `scope` of session principals (passport.sessionScope) */
  scope: string;
}

export class SessionAuthenticator extends StoredCredentialAuthenticator {
  readonly id = 'session' as const;
  readonly #sql: SqlExecutor;
  readonly #scope: string;
  readonly #scopes: ReadonlySet<string>;

  constructor(options: SessionOptions) {
    super(options);
    this.#sql = options.sql;
    this.#scope = options.scope;
    this.#scopes = scopeSet(options.scope);
  }

  protected wellFormed(value: string): boolean {
    return SESSION_FORMAT.test(value);
  }

  protected async lookup(hash: string): Promise<LookupResult> {
    const { rows } = await this.#sql.query<SessionRow>(QUERY, [hash]);
    const row = rows[0];
    if (row === undefined) return { refused: 'unknown_session' };
    const ids = { id: hash, ownerId: row.user_id };
    if (row.revoked_at !== null) return { refused: 'revoked', ...ids };
    if (row.status !== 'active') return { refused: 'owner_disabled', ...ids };
    const principal: Principal = Object.freeze({
      sub: row.user_id,
      kind: 'user',
      via: 'session',
      ...ownerFields(row),
      scope: this.#scope,
      scopes: this.#scopes,
      src: `session:${hash.slice(0, 16)}`,
      ref: `user:${row.user_id}`,
      expiresAt: row.expires_at.getTime(),
      rateLimitPerMinute: undefined,
    });
    return { principal, ...ids };
  }

  protected affectedBy(event: EdgeEvent, hash: string, result: LookupResult): boolean {
    if (event.type === 'session.revoked') return event.hash === hash;
    if (event.type === 'user.changed') return event.id === result.ownerId;
    return false;
  }
}
