// SQL for the api_keys table. Every function takes an executor so that callers choose the transaction.
import type { SqlExecutor } from '@edgepass/store';
import { API_KEY_COLUMNS, type ApiKeyRecord, type ApiKeyRow, recordFromRow } from './record.ts';

export interface NewApiKeyRow {
  id: string;
  ownerId: string;
  name: string | null;
  env: string;
  prefix: string;
  hash: string;
  scopes: string[];
  rateLimitPerMinute: number | null;
  expiresAt: Date | null;
  rotatedFrom: string | null;
  createdAt: Date;
}

export async function insertApiKey(db: SqlExecutor, k: NewApiKeyRow): Promise<ApiKeyRecord> {
  const { rows } = await db.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, owner_id, name, env, prefix, hash, scopes, rate_limit_per_minute, expires_at, rotated_from, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${API_KEY_COLUMNS}`,
    [
      k.id,
      k.ownerId,
      k.name,
      k.env,
      k.prefix,
      k.hash,
      k.scopes,
      k.rateLimitPerMinute,
      k.expiresAt,
      k.rotatedFrom,
      k.createdAt,
    ],
  );
  return recordFromRow(one(rows));
}

export interface ApiKeyWithHash {
  record: ApiKeyRecord;
  hash: string;
}

/** The key (and its hash, for events) when it exists and, if ownerId is given, belongs to that owner. */
export async function selectApiKey(
  db: SqlExecutor,
  id: string,
  ownerId: string | undefined,
  forUpdate = false,
): Promise<ApiKeyWithHash | undefined> {
  const { rows } = await db.query<ApiKeyRow & { hash: string }>(
    `SELECT ${API_KEY_COLUMNS}, hash FROM api_keys WHERE id = $1 AND ($2::text IS NULL OR owner_id = $2)${forUpdate ? ' FOR UPDATE' : ''}`,
    [id, ownerId ?? null],
  );
  const row = rows[0];
  return row ? { record: recordFromRow(row), hash: row.hash } : undefined;
}

/** Sets revoked_at unless already set (the first revocation time stays); undefined when not found. */
export async function revokeApiKeyRow(
  db: SqlExecutor,
  id: string,
  ownerId: string | undefined,
  at: Date,
): Promise<ApiKeyWithHash | undefined> {
  const { rows } = await db.query<ApiKeyRow & { hash: string }>(
    `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND ($2::text IS NULL OR owner_id = $2)
     RETURNING ${API_KEY_COLUMNS}, hash`,
    [id, ownerId ?? null, at],
  );
  const row = rows[0];
  return row ? { record: recordFromRow(row), hash: row.hash } : undefined;
}

export async function selectApiKeyByHash(db: SqlExecutor, hash: string): Promise<ApiKeyRecord | undefined> {
  const { rows } = await db.query<ApiKeyRow>(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE hash = $1`, [hash]);
  return rows[0] ? recordFromRow(rows[0]) : undefined;
}

export async function countActiveKeys(db: SqlExecutor, ownerId: string, now: Date): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM api_keys WHERE owner_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)',
    [ownerId, now],
  );
  return one(rows).n;
}

export async function hasSuccessor(db: SqlExecutor, id: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM api_keys WHERE rotated_from = $1 LIMIT 1', [id]);
  return rows.length > 0;
}

export interface ApiKeyChanges {
  name?: string | null;
  scopes?: string[];
  rateLimitPerMinute?: number | null;
  expiresAt?: Date | null;
}

const CHANGE_COLUMNS: Record<keyof ApiKeyChanges, string> = {
  name: 'name',
  scopes: 'scopes',
  rateLimitPerMinute: 'rate_limit_per_minute',
  expiresAt: 'expires_at',
};

export async function updateApiKeyRow(db: SqlExecutor, id: string, changes: ApiKeyChanges): Promise<ApiKeyRecord> {
  const entries = (Object.keys(CHANGE_COLUMNS) as (keyof ApiKeyChanges)[]).filter((k) => changes[k] !== undefined);
  const sets = entries.map((k, i) => `${CHANGE_COLUMNS[k]} = $${i + 2}`);
  const { rows } = await db.query<ApiKeyRow>(
    sets.length === 0
      ? `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = $1`
      : `UPDATE api_keys SET ${sets.join(', ')} WHERE id = $1 RETURNING ${API_KEY_COLUMNS}`,
    [id, ...entries.map((k) => changes[k])],
  );
  return recordFromRow(one(rows));
}

export interface ListPage {
  items: ApiKeyRecord[];
  /** pass back as `cursor` for the next page; null on the last page */
  nextCursor: string | null;
}

/** Newest first. ownerId undefined lists every owner's keys (admin). */
export async function selectApiKeys(
  db: SqlExecutor,
  filter: { ownerId?: string; limit: number; cursor?: ListCursor },
): Promise<ListPage> {
  const { rows } = await db.query<ApiKeyRow>(
    `SELECT ${API_KEY_COLUMNS} FROM api_keys
     WHERE ($1::text IS NULL OR owner_id = $1)
       AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::text))
     ORDER BY created_at DESC, id DESC LIMIT $4`,
    [filter.ownerId ?? null, filter.cursor?.createdAt ?? null, filter.cursor?.id ?? null, filter.limit + 1],
  );
  const items = rows.slice(0, filter.limit).map(recordFromRow);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > filter.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
}

export interface ListCursor {
  createdAt: Date;
  id: string;
}

function encodeCursor(c: ListCursor): string {
  return Buffer.from(JSON.stringify([c.createdAt.toISOString(), c.id])).toString('base64url');
}

/** undefined for anything that is not a cursor this module produced. */
export function decodeCursor(value: string): ListCursor | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
    const [at, id] = parsed;
    if (typeof at !== 'string' || typeof id !== 'string') return undefined;
    const createdAt = new Date(at);
    return Number.isNaN(createdAt.getTime()) ? undefined : { createdAt, id };
  } catch {
    return undefined;
  }
}

function one<T>(rows: T[]): T {
  const row = rows[0];
  if (row === undefined) throw new Error('expected one row');
  return row;
}
