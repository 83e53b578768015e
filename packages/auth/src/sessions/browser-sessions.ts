// Browser sessions for gateways: cookie `ep_session` = 32 random bytes (base64url); table sessions keeps
// only base64url(SHA-256(value)) as id_hash, the user, the oidc-provider grants created in the session
// (revoked at logout) and expires_at/revoked_at. Revocation publishes `session.revoked` {hash}.
import { EVENTS_CHANNEL, encodeEvent, type Store } from '@edgepass/store';
import { randomToken, sha256b64url } from '../crypto.ts';

export interface BrowserSession {
  hash: string;
  userId: string;
  grantIds: string[];
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

interface SessionRow {
  id_hash: string;
  user_id: string;
  grant_ids: string[];
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

const toSession = (r: SessionRow): BrowserSession => ({
  hash: r.id_hash,
  userId: r.user_id,
  grantIds: [...r.grant_ids],
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
});

export const hashSessionValue = (value: string): string => sha256b64url(value);

export class BrowserSessions {
  readonly #store: Store;
  readonly #ttlSec: number;
  readonly #now: () => Date;

  constructor(options: { store: Store; ttlSec: number; now?: () => Date }) {
    this.#store = options.store;
    this.#ttlSec = options.ttlSec;
    this.#now = options.now ?? (() => new Date());
  }

  get ttlSec(): number {
    return this.#ttlSec;
  }

  /** Starts a session; the returned value goes into the cookie and is never stored. */
  async create(userId: string): Promise<{ value: string; session: BrowserSession }> {
    const value = randomToken(32);
    const now = this.#now();
    const { rows } = await this.#store.sql.query<SessionRow>(
      `INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)
       RETURNING id_hash, user_id, grant_ids, created_at, expires_at, revoked_at`,
      [hashSessionValue(value), userId, now, new Date(now.getTime() + this.#ttlSec * 1000)],
    );
    return { value, session: toSession(rows[0] as SessionRow) };
  }

  /** The live session for a cookie value (not revoked, not expired). */
  async findActive(value: string): Promise<BrowserSession | undefined> {
    const { rows } = await this.#store.sql.query<SessionRow>(
      `SELECT id_hash, user_id, grant_ids, created_at, expires_at, revoked_at FROM sessions
       WHERE id_hash = $1 AND revoked_at IS NULL AND expires_at > $2`,
      [hashSessionValue(value), this.#now()],
    );
    return rows[0] ? toSession(rows[0]) : undefined;
  }

  async addGrant(value: string, grantId: string): Promise<void> {
    await this.#store.sql.query(
      `UPDATE sessions SET grant_ids = array_append(grant_ids, $2::text)
       WHERE id_hash = $1 AND revoked_at IS NULL AND NOT ($2::text = ANY(grant_ids))`,
      [hashSessionValue(value), grantId],
    );
  }

  /** Revokes a live session and announces it; returns it (with its grants) or undefined if it was not live. */
  async revoke(value: string): Promise<BrowserSession | undefined> {
    const hash = hashSessionValue(value);
    const { rows } = await this.#store.sql.query<SessionRow>(
      `UPDATE sessions SET revoked_at = $2 WHERE id_hash = $1 AND revoked_at IS NULL
       RETURNING id_hash, user_id, grant_ids, created_at, expires_at, revoked_at`,
      [hash, this.#now()],
    );
    if (!rows[0]) return undefined;
    await this.#store.fast.pubsub.publish(EVENTS_CHANNEL, encodeEvent({ type: 'session.revoked', hash }));
    return toSession(rows[0]);
  }

  /** Revokes every live session of a user (account disabled); returns how many. */
  async revokeAllForUser(userId: string): Promise<number> {
    return await revokeAllSessionsOf(this.#store, userId, this.#now());
  }
}

/** Revokes a user's live sessions and announces each (`session.revoked`). */
export async function revokeAllSessionsOf(store: Store, userId: string, now: Date = new Date()): Promise<number> {
  const { rows } = await store.sql.query<{ id_hash: string }>(
    'UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id_hash',
    [userId, now],
  );
  for (const { id_hash: hash } of rows) {
    await store.fast.pubsub.publish(EVENTS_CHANNEL, encodeEvent({ type: 'session.revoked', hash }));
  }
  return rows.length;
}
