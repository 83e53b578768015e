// `session`: the browser session cookie (`ep_session` by default), an opaque value whose SHA-256
// (base64url) is sessions.id_hash. Valid while not revoked, not expired and the user is active; the
// user's roles/plan come from `users`. `session.revoked` and `user.changed` drop cached entries.
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

const SESSION_FORMAT = /^[A-Za-z0-9_-]{16,256}$/;

interface SessionRow extends StoredRow {
  user_id: string;
  expires_at: Date;
}

export interface SessionOptions extends StoredCredentialOptions {
  /** the `scope` of session principals (passport.sessionScope) */
  scope: string;
}

export class SessionAuthenticator extends StoredCredentialAuthenticator<SessionRow> {
  readonly id = 'session' as const;
  protected readonly query = `SELECT s.user_id, s.expires_at, s.revoked_at, u.roles, u.plan, u.tenant, u.status
    FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1`;
  protected readonly unknownReason: AuthnReason = 'unknown_session';
  readonly #scope: string;
  readonly #scopes: ReadonlySet<string>;

  constructor(options: SessionOptions) {
    super(options);
    this.#scope = options.scope;
    this.#scopes = scopeSet(options.scope);
  }

  protected wellFormed(value: string): boolean {
    return SESSION_FORMAT.test(value);
  }

  protected identify(row: SessionRow, hash: string): { id: string; ownerId: string } {
    return { id: hash, ownerId: row.user_id };
  }

  protected principalOf(row: SessionRow, hash: string): Principal {
    return {
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
    };
  }

  protected affectedBy(event: EdgeEvent, hash: string, result: LookupResult): boolean {
    if (event.type === 'session.revoked') return event.hash === hash;
    if (event.type === 'user.changed') return event.id === result.ownerId;
    return false;
  }
}
