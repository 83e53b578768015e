// OAuth clients: rows in oauth_clients (admin-created, `edgepass clients create`) plus static clients from
// the config file (secret from the environment). Secrets are 256-bit random values shown once; only
// base64url(SHA-256(secret)) is stored and compared in constant time (see oidc/client-secret.ts).
import type { Store } from '@edgepass/store';
import type { AuthConfig, StaticClientConfig } from '../config.ts';
import { secretFromEnv } from '../config.ts';
import { constantTimeEqual, prefixedId, randomToken, sha256b64url } from '../crypto.ts';
import { AuthError } from '../errors.ts';

export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials';

/** What edgepass knows about a client, independent of where it is defined. */
export interface ClientRecord {
  clientId: string;
  name: string | null;
  public: boolean;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: GrantType[];
  scope: string | null;
  firstParty: boolean;
  roles: string[];
  /** base64url(SHA-256(secret)); null for public clients. */
  secretHash: string | null;
  source: 'database' | 'config';
  createdAt: Date | null;
}

/** Client metadata kept in oauth_clients.metadata (oidc-provider names, no secret). */
interface StoredMetadata {
  client_name?: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  grant_types: GrantType[];
  scope?: string;
  first_party?: boolean;
  roles?: string[];
  public?: boolean;
}

interface ClientRow {
  client_id: string;
  secret_hash: string | null;
  metadata: StoredMetadata;
  created_at: Date;
}

export interface CreateClientInput {
  clientId?: string;
  name?: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: GrantType[];
  public?: boolean;
  scope?: string;
  firstParty?: boolean;
  roles?: string[];
  ownerId?: string;
}

const DEFAULT_GRANT_TYPES: GrantType[] = ['authorization_code', 'refresh_token'];
const CLIENT_ID = /^[A-Za-z0-9._~-]{3,128}$/;

function validRedirectUri(uri: string): boolean {
  const url = URL.parse(uri);
  if (!url || url.hash) return false;
  if (url.protocol === 'https:') return true;
  // http only for loopback (native apps, development); custom schemes for native apps.
  if (url.protocol === 'http:') return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  return /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol);
}

function validate(input: CreateClientInput): Required<Pick<CreateClientInput, 'grantTypes' | 'redirectUris'>> {
  const grantTypes: GrantType[] = [...new Set(input.grantTypes ?? DEFAULT_GRANT_TYPES)];
  const redirectUris = [...new Set(input.redirectUris ?? [])];
  const fail = (reason: string) => new AuthError('AUTH_CLIENT_INVALID', { reason });
  if (input.clientId !== undefined && !CLIENT_ID.test(input.clientId)) throw fail('client_id_invalid');
  if (grantTypes.length === 0) throw fail('grant_types_empty');
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) throw fail('redirect_uri_missing');
  if (!grantTypes.includes('authorization_code') && grantTypes.includes('refresh_token'))
    throw fail('refresh_without_code');
  if (input.public && grantTypes.includes('client_credentials')) throw fail('public_client_credentials');
  if (redirectUris.some((u) => !validRedirectUri(u))) throw fail('redirect_uri_invalid');
  if ((input.postLogoutRedirectUris ?? []).some((u) => !validRedirectUri(u))) throw fail('post_logout_uri_invalid');
  return { grantTypes, redirectUris };
}

function fromRow(row: ClientRow): ClientRecord {
  const m = row.metadata;
  return {
    clientId: row.client_id,
    name: m.client_name ?? null,
    public: row.secret_hash === null,
    redirectUris: m.redirect_uris ?? [],
    postLogoutRedirectUris: m.post_logout_redirect_uris ?? [],
    grantTypes: m.grant_types,
    scope: m.scope ?? null,
    firstParty: m.first_party === true,
    roles: m.roles ?? [],
    secretHash: row.secret_hash,
    source: 'database',
    createdAt: row.created_at,
  };
}

function fromConfig(c: StaticClientConfig, env: NodeJS.ProcessEnv): ClientRecord {
  const secret = secretFromEnv(env, c.secretEnv);
  if (!c.public && !secret) {
    throw new AuthError('AUTH_CONFIG_INVALID', {
      reason: `client ${c.clientId}: environment variable ${c.secretEnv} is not set`,
    });
  }
  return {
    clientId: c.clientId,
    name: c.name ?? null,
    public: c.public,
    redirectUris: [...c.redirectUris],
    postLogoutRedirectUris: [...c.postLogoutRedirectUris],
    grantTypes: [...c.grantTypes],
    scope: c.scope ?? null,
    firstParty: c.firstParty,
    roles: [...c.roles],
    secretHash: secret ? sha256b64url(secret) : null,
    source: 'config',
    createdAt: null,
  };
}

/** True when `secret` hashes to the stored hash (constant time). */
export function secretMatches(secretHash: string | null, secret: string): boolean {
  return secretHash !== null && constantTimeEqual(secretHash, sha256b64url(secret));
}

export class Clients {
  readonly #store: Store;
  readonly #static: ReadonlyMap<string, ClientRecord>;

  constructor(options: { store: Store; config?: Pick<AuthConfig, 'clients'>; env?: NodeJS.ProcessEnv }) {
    this.#store = options.store;
    const env = options.env ?? process.env;
    this.#static = new Map((options.config?.clients ?? []).map((c) => [c.clientId, fromConfig(c, env)]));
  }

  /** Creates a client; the plaintext secret (confidential clients) is returned once and never stored. */
  async create(input: CreateClientInput): Promise<{ client: ClientRecord; secret?: string }> {
    const { grantTypes, redirectUris } = validate(input);
    const clientId = input.clientId ?? prefixedId('cli');
    if (this.#static.has(clientId)) throw new AuthError('AUTH_CLIENT_INVALID', { reason: 'client_id_taken' });
    const secret = input.public ? undefined : randomToken(32);
    const metadata: StoredMetadata = {
      ...(input.name ? { client_name: input.name } : {}),
      redirect_uris: redirectUris,
      ...(input.postLogoutRedirectUris?.length ? { post_logout_redirect_uris: input.postLogoutRedirectUris } : {}),
      grant_types: grantTypes,
      ...(input.scope ? { scope: input.scope } : {}),
      first_party: input.firstParty === true,
      roles: [...new Set(input.roles ?? [])],
    };
    try {
      const { rows } = await this.#store.sql.query<ClientRow>(
        `INSERT INTO oauth_clients (client_id, secret_hash, metadata, owner_id) VALUES ($1, $2, $3, $4)
         RETURNING client_id, secret_hash, metadata, created_at`,
        [clientId, secret ? sha256b64url(secret) : null, JSON.stringify(metadata), input.ownerId ?? null],
      );
      return { client: fromRow(rows[0] as ClientRow), ...(secret ? { secret } : {}) };
    } catch (err) {
      if ((err as { code?: unknown }).code === '23505') {
        throw new AuthError('AUTH_CLIENT_INVALID', { reason: 'client_id_taken', cause: err });
      }
      throw err;
    }
  }

  async find(clientId: string): Promise<ClientRecord | undefined> {
    const configured = this.#static.get(clientId);
    if (configured) return configured;
    const { rows } = await this.#store.sql.query<ClientRow>(
      'SELECT client_id, secret_hash, metadata, created_at FROM oauth_clients WHERE client_id = $1',
      [clientId],
    );
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async list(): Promise<ClientRecord[]> {
    const { rows } = await this.#store.sql.query<ClientRow>(
      'SELECT client_id, secret_hash, metadata, created_at FROM oauth_clients ORDER BY created_at, client_id',
    );
    return [...this.#static.values(), ...rows.map(fromRow)];
  }

  /** Deletes a database client (static clients live in the config file). Returns false when absent. */
  async delete(clientId: string): Promise<boolean> {
    const { rowCount } = await this.#store.sql.query('DELETE FROM oauth_clients WHERE client_id = $1', [clientId]);
    return rowCount > 0;
  }
}
