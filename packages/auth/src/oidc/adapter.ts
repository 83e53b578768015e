// oidc-provider storage adapter on @edgepass/store.
// - Durable models (Grant, Session, RefreshToken, and AccessToken/ClientCredentials if ever opaque) are rows
//   in oidc_models (PostgreSQL/PGlite), with grant_id/uid columns for revokeByGrantId/findByUid and an
//   atomic consume (UPDATE … WHERE consumed_at IS NULL).
// - Short-lived models (Interaction, AuthorizationCode, ReplayDetection, PushedAuthorizationRequest) live in
//   the fast-state KV (Redis or memory) with a TTL; single use is an atomic SET NX marker, codes of a grant
//   are found through a KvIndex.
// - Client comes from Clients (oauth_clients + static config clients), with the secret as its hash.
import type { SqlExecutor, Store } from '@edgepass/store';
import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import type { ClientRecord, Clients } from '../clients/clients.ts';
import { KvIndex } from '../kv-index.ts';

export const SHORT_LIVED_MODELS = new Set([
  'Interaction',
  'AuthorizationCode',
  'ReplayDetection',
  'PushedAuthorizationRequest',
]);
/** Short-lived models that oidc-provider revokes by grant id. */
const GRANT_INDEXED_MODELS = new Set(['AuthorizationCode']);

/** Marker prefix of hashed secrets handed to oidc-provider; compareClientSecret hashes the presented secret. */
export const HASHED_SECRET_PREFIX = 'sha256:';

/** Custom client metadata properties (registered in extraClientMetadata). */
export const CLIENT_FIRST_PARTY = 'edgepass_first_party';
export const CLIENT_ROLES = 'edgepass_roles';

const KV_MARGIN_MS = 5_000;
const epoch = (d: Date) => Math.floor(d.getTime() / 1000);

export interface AdapterDeps {
  store: Store;
  clients: Clients;
  /** How long a grant's index of authorization codes is kept (the grant lifetime). */
  grantTtlSec: number;
  now?: () => Date;
  /**
   * Called when the access tokens of a grant are revoked (by oidc-provider on reuse of a refresh token or an
   * authorization code and on RFC 7009 revocation of a refresh token; by revokeGrants at logout): JWT access tokens
   * are not stored, so this is where their jtis get denylisted. Awaited before oidc-provider answers. Returns how
   * many were denylisted.
   */
  revokeAccessTokens?: (grantId: string) => Promise<number>;
}

interface ModelRow {
  payload: AdapterPayload;
  expires_at: Date | null;
  consumed_at: Date | null;
}

class SqlModelAdapter implements Adapter {
  readonly #model: string;
  readonly #deps: AdapterDeps;

  constructor(model: string, deps: AdapterDeps) {
    this.#model = model;
    this.#deps = deps;
  }

  #now(): Date {
    return this.#deps.now?.() ?? new Date();
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt = expiresIn ? new Date(this.#now().getTime() + expiresIn * 1000) : null;
    await this.#deps.store.sql.query(
      `INSERT INTO oidc_models (model, id, payload, grant_id, user_code, uid, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
         user_code = EXCLUDED.user_code, uid = EXCLUDED.uid, expires_at = EXCLUDED.expires_at`,
      [
        this.#model,
        id,
        JSON.stringify(payload),
        payload.grantId ?? null,
        payload.userCode ?? null,
        payload.uid ?? null,
        expiresAt,
      ],
    );
  }

  async #findWhere(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    const { rows } = await this.#deps.store.sql.query<ModelRow>(
      `SELECT payload, expires_at, consumed_at FROM oidc_models WHERE model = $1 AND ${column} = $2 LIMIT 1`,
      [this.#model, value],
    );
    const row = rows[0];
    if (!row) return undefined;
    if (row.expires_at && row.expires_at.getTime() <= this.#now().getTime()) return undefined;
    return row.consumed_at ? { ...row.payload, consumed: epoch(row.consumed_at) } : row.payload;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return await this.#findWhere('id', id);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return await this.#findWhere('uid', uid);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return await this.#findWhere('user_code', userCode);
  }

  /** Atomic: of two concurrent consumers exactly one succeeds; the other gets invalid_grant. */
  async consume(id: string): Promise<void> {
    const { rowCount } = await this.#deps.store.sql.query(
      'UPDATE oidc_models SET consumed_at = $3 WHERE model = $1 AND id = $2 AND consumed_at IS NULL',
      [this.#model, id, this.#now()],
    );
    if (rowCount === 0) throw new errors.InvalidGrant(`${this.#model} already used`);
  }

  async destroy(id: string): Promise<void> {
    await this.#deps.store.sql.query('DELETE FROM oidc_models WHERE model = $1 AND id = $2', [this.#model, id]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#deps.store.sql.query('DELETE FROM oidc_models WHERE model = $1 AND grant_id = $2', [
      this.#model,
      grantId,
    ]);
  }
}

/** AccessToken rows (opaque tokens, none in this profile), plus the revocation of a grant's JWT access tokens. */
class AccessTokenAdapter extends SqlModelAdapter {
  readonly #revoke: (grantId: string) => Promise<number>;

  constructor(deps: AdapterDeps, revoke: (grantId: string) => Promise<number>) {
    super('AccessToken', deps);
    this.#revoke = revoke;
  }

  /** Deletes the grant's AccessToken rows and revokes its JWT access tokens; returns how many were denylisted. */
  async revokeGrant(grantId: string): Promise<number> {
    await super.revokeByGrantId(grantId);
    return await this.#revoke(grantId);
  }

  override async revokeByGrantId(grantId: string): Promise<void> {
    await this.revokeGrant(grantId);
  }
}

class KvModelAdapter implements Adapter {
  readonly #model: string;
  readonly #deps: AdapterDeps;
  readonly #grants: KvIndex;

  constructor(model: string, deps: AdapterDeps) {
    this.#model = model;
    this.#deps = deps;
    this.#grants = new KvIndex(deps.store.fast.kv, `oidc:grant:${model}`);
  }

  #key(id: string): string {
    return `oidc:${this.#model}:${id}`;
  }

  #consumedKey(id: string): string {
    return `oidc:consumed:${this.#model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const ttlMs = expiresIn ? expiresIn * 1000 + KV_MARGIN_MS : undefined;
    await this.#deps.store.fast.kv.set(this.#key(id), JSON.stringify(payload), ttlMs ? { ttlMs } : {});
    if (payload.grantId && ttlMs && GRANT_INDEXED_MODELS.has(this.#model)) {
      await this.#grants.add(payload.grantId, id, ttlMs, this.#deps.grantTtlSec * 1000);
    }
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const kv = this.#deps.store.fast.kv;
    const [raw, consumed] = await Promise.all([kv.get(this.#key(id)), kv.get(this.#consumedKey(id))]);
    if (raw === null) return undefined;
    const payload = JSON.parse(raw) as AdapterPayload;
    return consumed === null ? payload : { ...payload, consumed: Number(consumed) };
  }

  async findByUid(): Promise<AdapterPayload | undefined> {
    return undefined;
  }

  async findByUserCode(): Promise<AdapterPayload | undefined> {
    return undefined;
  }

  async consume(id: string): Promise<void> {
    const kv = this.#deps.store.fast.kv;
    const ttl = await kv.ttl(this.#key(id));
    const now = epoch(this.#deps.now?.() ?? new Date());
    const first = await kv.set(this.#consumedKey(id), String(now), {
      onlyIfAbsent: true,
      ttlMs: ttl > 0 ? ttl + KV_MARGIN_MS : 3_600_000,
    });
    if (!first) throw new errors.InvalidGrant(`${this.#model} already used`);
  }

  async destroy(id: string): Promise<void> {
    await this.#deps.store.fast.kv.delete(this.#key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const ids = await this.#grants.members(grantId);
    await Promise.all(ids.map((id) => this.destroy(id)));
    await this.#grants.clear(grantId);
  }
}

/** oidc-provider client metadata for a client record (secret only as its marked hash). */
export function clientMetadata(client: ClientRecord, idTokenAlg: string): AdapterPayload {
  const code = client.grantTypes.includes('authorization_code');
  return {
    client_id: client.clientId,
    ...(client.name ? { client_name: client.name } : {}),
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: client.grantTypes,
    response_types: code ? ['code'] : [],
    token_endpoint_auth_method: client.public ? 'none' : 'client_secret_basic',
    ...(client.secretHash ? { client_secret: `${HASHED_SECRET_PREFIX}${client.secretHash}` } : {}),
    ...(client.scope ? { scope: client.scope } : {}),
    id_token_signed_response_alg: idTokenAlg,
    [CLIENT_FIRST_PARTY]: client.firstParty,
    [CLIENT_ROLES]: client.roles,
  };
}

class ClientAdapter implements Adapter {
  readonly #deps: AdapterDeps;
  readonly #idTokenAlg: () => string;

  constructor(deps: AdapterDeps, idTokenAlg: () => string) {
    this.#deps = deps;
    this.#idTokenAlg = idTokenAlg;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const client = await this.#deps.clients.find(id);
    return client ? clientMetadata(client, this.#idTokenAlg()) : undefined;
  }

  async upsert(): Promise<void> {
    throw new Error('clients are managed with `edgepass clients`, not through oidc-provider');
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async consume(): Promise<void> {}

  async destroy(): Promise<void> {}

  async revokeByGrantId(): Promise<void> {}
}

/** The `adapter` option for oidc-provider: a factory called once per model name. */
export function createAdapterFactory(deps: AdapterDeps, idTokenAlg: () => string): (model: string) => Adapter {
  return (model: string) => {
    if (model === 'Client') return new ClientAdapter(deps, idTokenAlg);
    if (SHORT_LIVED_MODELS.has(model)) return new KvModelAdapter(model, deps);
    if (model === 'AccessToken' && deps.revokeAccessTokens)
      return new AccessTokenAdapter(deps, deps.revokeAccessTokens);
    return new SqlModelAdapter(model, deps);
  };
}

/**
 * Housekeeping: deletes oidc_models rows and browser sessions that expired more than `graceSec` ago.
 * Returns the number of rows removed.
 */
export async function pruneExpired(store: Store, now: Date = new Date(), graceSec = 3600): Promise<number> {
  const before = new Date(now.getTime() - graceSec * 1000);
  const models = await store.sql.query('DELETE FROM oidc_models WHERE expires_at < $1', [before]);
  const sessions = await store.sql.query('DELETE FROM sessions WHERE expires_at < $1', [before]);
  return models.rowCount + sessions.rowCount;
}

const GRANT_MEMBER_MODELS = ['AccessToken', 'ClientCredentials', 'RefreshToken', 'AuthorizationCode'];

/**
 * Revokes grants the way oidc-provider does: their tokens and codes (through the factory's adapters, so the JWT
 * access tokens go through revokeAccessTokens), then the grant itself. Returns how many access tokens were
 * denylisted.
 */
export async function revokeGrants(
  adapterFor: (model: string) => Adapter,
  grantIds: Iterable<string>,
): Promise<number> {
  let deniedAccessTokens = 0;
  for (const grantId of new Set(grantIds)) {
    await Promise.all(
      GRANT_MEMBER_MODELS.map(async (model) => {
        const adapter = adapterFor(model);
        if (adapter instanceof AccessTokenAdapter) deniedAccessTokens += await adapter.revokeGrant(grantId);
        else await adapter.revokeByGrantId(grantId);
      }),
    );
    await adapterFor('Grant').destroy(grantId);
  }
  return deniedAccessTokens;
}

/**
 * True while a refresh token can still be used: it exists (opaque: the token is its id), has not expired and has not
 * been consumed (rotated).
 */
export async function refreshTokenUnused(store: Store, token: string, now: Date = new Date()): Promise<boolean> {
  const { rows } = await store.sql.query(
    `SELECT 1 FROM oidc_models WHERE model = 'RefreshToken' AND id = $1 AND consumed_at IS NULL
       AND (expires_at IS NULL OR expires_at > $2)`,
    [token, now],
  );
  return rows.length > 0;
}

/** The ids of a user's grants (any client), expired or not. */
export async function grantIdsOf(sql: SqlExecutor, accountId: string): Promise<string[]> {
  const { rows } = await sql.query<{ id: string }>(
    "SELECT id FROM oidc_models WHERE model = 'Grant' AND payload->>'accountId' = $1",
    [accountId],
  );
  return rows.map((r) => r.id);
}

/** True while a grant exists and has not expired (revoked grants are deleted). */
export async function grantExists(store: Store, grantId: string, now: Date = new Date()): Promise<boolean> {
  const { rows } = await store.sql.query(
    "SELECT 1 FROM oidc_models WHERE model = 'Grant' AND id = $1 AND (expires_at IS NULL OR expires_at > $2)",
    [grantId, now],
  );
  return rows.length > 0;
}
