// User accounts (table users) and their links to external IdPs (table external_identities). Used by the
// login/signup pages, the external-IdP callback, the JSON API and the CLI. Every change to roles, plan or
// status publishes `user.changed` so gateways drop cached sessions and passports of that subject; disabling also
// revokes the user's browser sessions and denylists their live access tokens.
import { EVENTS_CHANNEL, encodeEvent, type SqlExecutor, type Store } from '@edgepass/store';
import { type ErrorLogger, publishAfterCommit } from '../apikeys/publish.ts';
import { prefixedId } from '../crypto.ts';
import { AuthError } from '../errors.ts';
import { grantIdsOf } from '../oidc/adapter.ts';
import { revokeAllSessionsOf } from '../sessions/browser-sessions.ts';
import { TokenDenylist } from '../tokens/denylist.ts';
import { isValidEmail, normalizeEmail } from './email.ts';
import { checkPasswordPolicy, hashPassword, verifyAgainstDummy, verifyPassword } from './password.ts';

export type UserStatus = 'active' | 'disabled';

export interface User {
  id: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  roles: string[];
  plan: string;
  tenant: string | null;
  status: UserStatus;
  hasPassword: boolean;
  createdAt: Date;
  updatedAt: Date;
}

interface UserRow {
  id: string;
  email: string;
  email_verified: boolean;
  password_hash: string | null;
  name: string | null;
  roles: string[];
  plan: string;
  tenant: string | null;
  status: UserStatus;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, email, email_verified, password_hash, name, roles, plan, tenant, status, created_at, updated_at';

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    emailVerified: row.email_verified,
    name: row.name,
    roles: [...row.roles],
    plan: row.plan,
    tenant: row.tenant,
    status: row.status,
    hasPassword: row.password_hash !== null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface CreateUserInput {
  email: string;
  /** Omit for accounts that only sign in through an external IdP. */
  password?: string;
  name?: string;
  plan?: string;
  roles?: string[];
  tenant?: string;
  emailVerified?: boolean;
}

/** Why a login failed (for the log only; the user always sees one generic message). */
export type LoginFailure = 'unknown_email' | 'no_password' | 'password_mismatch' | 'disabled';

export type LoginResult = { ok: true; user: User } | { ok: false; reason: LoginFailure; userId?: string };

const ROLE = /^[A-Za-z0-9:._-]{1,64}$/;

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

export interface AccountsOptions {
  store: Store;
  /** Plans users may carry; the first is the default. */
  plans?: readonly string[];
  /**
   * With a logger, a `user.changed` that cannot be published after a committed change is logged
   * (`event_publish_failed`) and the change still succeeds (gateway caches expire on their own); without one, the
   * publish error is thrown (the change stays committed: retrying republishes).
   */
  logger?: ErrorLogger;
  /** Where disable() denylists the user's live access tokens (the service's; default one on the store's fast state). */
  denylist?: TokenDenylist;
}

export class Accounts {
  readonly #store: Store;
  readonly #plans: readonly string[];
  readonly #logger: ErrorLogger | undefined;
  readonly #denylist: TokenDenylist;

  constructor(options: AccountsOptions) {
    this.#store = options.store;
    this.#plans = options.plans && options.plans.length > 0 ? options.plans : ['free', 'premium'];
    this.#logger = options.logger;
    this.#denylist = options.denylist ?? new TokenDenylist({ fast: options.store.fast });
  }

  get plans(): readonly string[] {
    return this.#plans;
  }

  async create(input: CreateUserInput, sql: SqlExecutor = this.#store.sql): Promise<User> {
    const email = normalizeEmail(input.email);
    if (!isValidEmail(email)) throw new AuthError('AUTH_EMAIL_INVALID', { reason: 'email_invalid' });
    const plan = input.plan ?? this.#plans[0];
    if (!plan || !this.#plans.includes(plan)) throw new AuthError('AUTH_PLAN_INVALID', { reason: 'plan_unknown' });
    const roles = this.#checkRoles(input.roles ?? []);
    let passwordHash: string | null = null;
    if (input.password !== undefined) {
      const problem = checkPasswordPolicy(input.password, email);
      if (problem) throw new AuthError('AUTH_PASSWORD_POLICY', { reason: `password_${problem}` });
      passwordHash = await hashPassword(input.password);
    }
    try {
      const { rows } = await sql.query<UserRow>(
        `INSERT INTO users (id, email, email_verified, password_hash, name, roles, plan, tenant)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
        [
          prefixedId('usr'),
          email,
          input.emailVerified ?? false,
          passwordHash,
          input.name ?? null,
          roles,
          plan,
          input.tenant ?? null,
        ],
      );
      return toUser(rows[0] as UserRow);
    } catch (err) {
      if (isUniqueViolation(err)) throw new AuthError('AUTH_EMAIL_TAKEN', { reason: 'email_taken', cause: err });
      throw err;
    }
  }

  async findById(id: string): Promise<User | undefined> {
    const { rows } = await this.#store.sql.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  async findByEmail(email: string): Promise<User | undefined> {
    const row = await this.#rowByEmail(email);
    return row ? toUser(row) : undefined;
  }

  /** `usr_…` id or email address. */
  async findByIdOrEmail(idOrEmail: string): Promise<User | undefined> {
    return idOrEmail.includes('@') ? await this.findByEmail(idOrEmail) : await this.findById(idOrEmail);
  }

  async list(options: { limit?: number; offset?: number } = {}): Promise<User[]> {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
    const { rows } = await this.#store.sql.query<UserRow>(
      `SELECT ${COLUMNS} FROM users ORDER BY created_at, id LIMIT $1 OFFSET $2`,
      [limit, Math.max(options.offset ?? 0, 0)],
    );
    return rows.map(toUser);
  }

  /** Checks email + password. Unknown emails cost the same argon2 time as known ones. */
  async login(email: string, password: string): Promise<LoginResult> {
    const row = await this.#rowByEmail(email);
    if (!row) {
      await verifyAgainstDummy(password);
      return { ok: false, reason: 'unknown_email' };
    }
    if (row.password_hash === null) {
      await verifyAgainstDummy(password);
      return { ok: false, reason: 'no_password', userId: row.id };
    }
    if (!(await verifyPassword(row.password_hash, password))) {
      return { ok: false, reason: 'password_mismatch', userId: row.id };
    }
    if (row.status !== 'active') return { ok: false, reason: 'disabled', userId: row.id };
    return { ok: true, user: toUser(row) };
  }

  /** The one implementation of a plan change (the JSON API's setUserPlan calls it). */
  async setPlan(id: string, plan: string): Promise<User> {
    if (!this.#plans.includes(plan)) throw new AuthError('AUTH_PLAN_INVALID', { reason: 'plan_unknown' });
    return await this.#update(id, 'plan = $2', [plan]);
  }

  async setRoles(id: string, roles: string[]): Promise<User> {
    return await this.#update(id, 'roles = $2', [this.#checkRoles(roles)]);
  }

  async setStatus(id: string, status: UserStatus): Promise<User> {
    return await this.#update(id, 'status = $2', [status]);
  }

  /**
   * Disables the account, revokes its browser sessions and denylists its live access tokens (gateways stop
   * accepting either at once). Its grants stay: refreshing is refused while the account is disabled.
   */
  async disable(id: string): Promise<User> {
    const user = await this.setStatus(id, 'disabled');
    await revokeAllSessionsOf(this.#store, id);
    await this.#denylist.denyIssuedUnder(await grantIdsOf(this.#store.sql, id));
    return user;
  }

  async setPassword(id: string, password: string): Promise<User> {
    const user = await this.findById(id);
    if (!user) throw new AuthError('AUTH_USER_NOT_FOUND', { reason: 'user_not_found' });
    const problem = checkPasswordPolicy(password, user.email);
    if (problem) throw new AuthError('AUTH_PASSWORD_POLICY', { reason: `password_${problem}` });
    return await this.#update(id, 'password_hash = $2', [await hashPassword(password)]);
  }

  async markEmailVerified(id: string): Promise<User> {
    return await this.#update(id, 'email_verified = true', []);
  }

  async findByExternalIdentity(provider: string, subject: string): Promise<User | undefined> {
    const { rows } = await this.#store.sql.query<UserRow>(
      `SELECT ${COLUMNS.split(', ')
        .map((c) => `u.${c}`)
        .join(', ')} FROM external_identities x JOIN users u ON u.id = x.user_id
       WHERE x.provider = $1 AND x.subject = $2`,
      [provider, subject],
    );
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  /** The external identities linked to a user. */
  async externalIdentities(userId: string): Promise<Array<{ provider: string; subject: string }>> {
    const { rows } = await this.#store.sql.query<{ provider: string; subject: string }>(
      'SELECT provider, subject FROM external_identities WHERE user_id = $1 ORDER BY provider, subject',
      [userId],
    );
    return rows;
  }

  async linkExternalIdentity(
    userId: string,
    identity: { provider: string; subject: string; email?: string },
    sql: SqlExecutor = this.#store.sql,
  ): Promise<void> {
    await sql.query(
      `INSERT INTO external_identities (provider, subject, user_id, email) VALUES ($1, $2, $3, $4)
       ON CONFLICT (provider, subject) DO NOTHING`,
      [identity.provider, identity.subject, userId, identity.email ?? null],
    );
  }

  /** Creates a user and links it to an external identity in one transaction. */
  async createExternal(
    input: Omit<CreateUserInput, 'password'>,
    identity: { provider: string; subject: string; email?: string },
  ): Promise<User> {
    return await this.#store.sql.transaction(async (tx) => {
      const user = await this.create(input, tx);
      await this.linkExternalIdentity(user.id, identity, tx);
      return user;
    });
  }

  async #rowByEmail(email: string): Promise<UserRow | undefined> {
    const { rows } = await this.#store.sql.query<UserRow>(
      `SELECT ${COLUMNS} FROM users WHERE lower(email) = lower($1)`,
      [normalizeEmail(email)],
    );
    return rows[0];
  }

  #checkRoles(roles: string[]): string[] {
    const unique = [...new Set(roles)];
    if (unique.some((r) => !ROLE.test(r))) throw new AuthError('AUTH_BAD_REQUEST', { reason: 'role_invalid' });
    return unique;
  }

  async #update(id: string, assignment: string, params: unknown[]): Promise<User> {
    const { rows } = await this.#store.sql.query<UserRow>(
      `UPDATE users SET ${assignment}, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, ...params],
    );
    const row = rows[0];
    if (!row) throw new AuthError('AUTH_USER_NOT_FOUND', { reason: 'user_not_found' });
    const event = { type: 'user.changed', id } as const;
    if (this.#logger) await publishAfterCommit(this.#store.fast.pubsub, this.#logger, event);
    else await this.#store.fast.pubsub.publish(EVENTS_CHANNEL, encodeEvent(event));
    return toUser(row);
  }
}
