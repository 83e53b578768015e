// API-key domain operations: create (plaintext returned once), list, get, update, revoke, rotate with
// overlap. Every change publishes `api_key.changed` {id, hash} so gateways drop cached lookups.
// Publishing is best-effort after commit (logged on failure); revoking again republishes.
import type { PubSub, Sql, SqlExecutor } from '@edgepass/store';
import { JsonApiError } from '../errors.ts';
import { type ApiKeyEnv, generateApiKey, newApiKeyId } from './format.ts';
import { type ErrorLogger, publishAfterCommit } from './publish.ts';
import { type ApiKeyRecord, apiKeyStatus } from './record.ts';
import {
  type ApiKeyChanges,
  type ApiKeyWithHash,
  countActiveKeys,
  hasSuccessor,
  insertApiKey,
  type ListCursor,
  type ListPage,
  revokeApiKeyRow,
  selectApiKey,
  selectApiKeys,
  updateApiKeyRow,
} from './repository.ts';
import { normalizeScopes } from './scopes.ts';

export const DEFAULT_MAX_ACTIVE_KEYS_PER_OWNER = 100;
export const DEFAULT_ROTATION_OVERLAP_SEC = 86_400;
export const MAX_ROTATION_OVERLAP_SEC = 30 * 86_400;

export interface ApiKeyServiceDeps {
  sql: Sql;
  pubsub: PubSub;
  /** env of newly created keys unless the caller gives one */
  env: ApiKeyEnv;
  logger: ErrorLogger;
  now?: () => Date;
  maxActiveKeysPerOwner?: number;
}

export interface CreateApiKeyInput {
  ownerId: string;
  name?: string | null;
  scopes?: readonly string[];
  expiresAt?: Date | null;
  rateLimitPerMinute?: number | null;
  env?: ApiKeyEnv;
}

export interface UpdateApiKeyInput {
  name?: string | null;
  scopes?: readonly string[];
  rateLimitPerMinute?: number | null;
}

export interface RotateApiKeyInput {
  /** seconds the old key keeps working (0..30 days, default 1 day); never extends an earlier expiry */
  overlapSec?: number;
  /** expiry of the new key (default: none) */
  expiresAt?: Date | null;
}

/** Restricts an operation to one owner's keys: another owner's key id is reported as not found. */
export interface OwnerScope {
  ownerId?: string;
}

export interface IssuedApiKey {
  /** the plaintext key, shown once */
  key: string;
  record: ApiKeyRecord;
}

export interface ApiKeyService {
  createApiKey(input: CreateApiKeyInput): Promise<IssuedApiKey>;
  listApiKeys(filter: OwnerScope & { limit?: number; cursor?: ListCursor }): Promise<ListPage>;
  getApiKey(id: string, scope?: OwnerScope): Promise<ApiKeyRecord>;
  updateApiKey(id: string, input: UpdateApiKeyInput, scope?: OwnerScope): Promise<ApiKeyRecord>;
  revokeApiKey(id: string, scope?: OwnerScope): Promise<ApiKeyRecord>;
  rotateApiKey(
    id: string,
    input: RotateApiKeyInput,
    scope?: OwnerScope,
  ): Promise<IssuedApiKey & { previous: ApiKeyRecord }>;
}

export function apiKeyService(deps: ApiKeyServiceDeps): ApiKeyService {
  const now = deps.now ?? (() => new Date());
  const maxActive = deps.maxActiveKeysPerOwner ?? DEFAULT_MAX_ACTIVE_KEYS_PER_OWNER;

  const publishChanged = (id: string, hash: string) =>
    publishAfterCommit(deps.pubsub, deps.logger, { type: 'api_key.changed', id, hash });

  function checkExpiry(expiresAt: Date | null | undefined, at: Date): void {
    if (expiresAt && expiresAt.getTime() <= at.getTime()) {
      throw new JsonApiError('API_INVALID_EXPIRY', { reason: 'expiry_not_in_future' });
    }
  }

  /** Runs change on the locked row of an active key, then publishes api_key.changed for the keys it touched. */
  async function changeActive<T>(
    id: string,
    scope: OwnerScope | undefined,
    change: (locked: ApiKeyWithHash, at: Date, tx: SqlExecutor) => Promise<{ result: T; changed: ApiKeyWithHash[] }>,
  ): Promise<T> {
    const at = now();
    const { result, changed } = await deps.sql.transaction(async (tx) => {
      const locked = await selectApiKey(tx, id, scope?.ownerId, true);
      if (!locked) throw new JsonApiError('API_NOT_FOUND', { reason: 'api_key_not_found' });
      if (apiKeyStatus(locked.record, at) !== 'active') {
        throw new JsonApiError('API_KEY_INACTIVE', { reason: 'api_key_inactive' });
      }
      return await change(locked, at, tx);
    });
    for (const k of changed) await publishChanged(k.record.id, k.hash);
    return result;
  }

  return {
    async createApiKey(input) {
      const at = now();
      checkExpiry(input.expiresAt, at);
      const generated = generateApiKey(input.env ?? deps.env);
      const record = await deps.sql.transaction(async (tx) => {
        // lock the owner row so concurrent creates cannot pass the per-owner limit together
        const owner = await tx.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [input.ownerId]);
        if (owner.rows.length === 0) throw new JsonApiError('API_NOT_FOUND', { reason: 'owner_not_found' });
        if ((await countActiveKeys(tx, input.ownerId, at)) >= maxActive) {
          throw new JsonApiError('API_KEY_LIMIT_REACHED', { reason: 'api_key_limit_reached' });
        }
        return await insertApiKey(tx, {
          id: newApiKeyId(),
          ownerId: input.ownerId,
          name: input.name ?? null,
          env: input.env ?? deps.env,
          prefix: generated.prefix,
          hash: generated.hash,
          scopes: normalizeScopes(input.scopes ?? []),
          rateLimitPerMinute: input.rateLimitPerMinute ?? null,
          expiresAt: input.expiresAt ?? null,
          rotatedFrom: null,
          createdAt: at,
        });
      });
      await publishChanged(record.id, generated.hash);
      return { key: generated.key, record };
    },

    async listApiKeys(filter) {
      return await selectApiKeys(deps.sql, {
        ownerId: filter.ownerId,
        limit: filter.limit ?? 50,
        cursor: filter.cursor,
      });
    },

    async getApiKey(id, scope) {
      const hit = await selectApiKey(deps.sql, id, scope?.ownerId);
      if (!hit) throw new JsonApiError('API_NOT_FOUND', { reason: 'api_key_not_found' });
      return hit.record;
    },

    async updateApiKey(id, input, scope) {
      const changes: ApiKeyChanges = {
        name: input.name,
        scopes: input.scopes === undefined ? undefined : normalizeScopes(input.scopes),
        rateLimitPerMinute: input.rateLimitPerMinute,
      };
      return await changeActive(id, scope, async (locked, _at, tx) => ({
        result: await updateApiKeyRow(tx, id, changes),
        changed: [locked],
      }));
    },

    async revokeApiKey(id, scope) {
      const hit = await revokeApiKeyRow(deps.sql, id, scope?.ownerId, now());
      if (!hit) throw new JsonApiError('API_NOT_FOUND', { reason: 'api_key_not_found' });
      // published even when already revoked, so that retrying a revoke re-sends the event
      await publishChanged(id, hit.hash);
      return hit.record;
    },

    async rotateApiKey(id, input, scope) {
      const overlapSec = input.overlapSec ?? DEFAULT_ROTATION_OVERLAP_SEC;
      if (!Number.isInteger(overlapSec) || overlapSec < 0 || overlapSec > MAX_ROTATION_OVERLAP_SEC) {
        throw new TypeError(`overlapSec must be an integer in 0..${MAX_ROTATION_OVERLAP_SEC}`);
      }
      checkExpiry(input.expiresAt, now());
      return await changeActive(id, scope, async (locked, at, tx) => {
        if (await hasSuccessor(tx, id)) {
          throw new JsonApiError('API_KEY_ALREADY_ROTATED', { reason: 'api_key_already_rotated' });
        }
        const old = locked.record;
        const overlapEnd = new Date(at.getTime() + overlapSec * 1000);
        const previous = await updateApiKeyRow(tx, id, {
          expiresAt: old.expiresAt && old.expiresAt < overlapEnd ? old.expiresAt : overlapEnd,
        });
        const generated = generateApiKey(old.env);
        const record = await insertApiKey(tx, {
          id: newApiKeyId(),
          ownerId: old.ownerId,
          name: old.name,
          env: old.env,
          prefix: generated.prefix,
          hash: generated.hash,
          scopes: old.scopes,
          rateLimitPerMinute: old.rateLimitPerMinute,
          expiresAt: input.expiresAt ?? null,
          rotatedFrom: old.id,
          createdAt: at,
        });
        return {
          result: { key: generated.key, record, previous },
          changed: [locked, { record, hash: generated.hash }],
        };
      });
    },
  };
}
