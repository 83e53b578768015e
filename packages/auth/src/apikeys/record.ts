// An API key as stored (without its hash) and as shown to owners and admins.
import type { ApiKeyEnv } from './format.ts';

export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

export interface ApiKeyRecord {
  id: string;
  ownerId: string;
  name: string | null;
  env: ApiKeyEnv;
  prefix: string;
  scopes: string[];
  rateLimitPerMinute: number | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  rotatedFrom: string | null;
  createdAt: Date;
}

/** revoked wins over expired; a key is expired from the instant expires_at is reached. */
export function apiKeyStatus(record: Pick<ApiKeyRecord, 'expiresAt' | 'revokedAt'>, now: Date): ApiKeyStatus {
  if (record.revokedAt !== null) return 'revoked';
  if (record.expiresAt !== null && record.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

/** Columns selected for a record: never the hash. */
export const API_KEY_COLUMNS =
  'id, owner_id, name, env, prefix, scopes, rate_limit_per_minute, expires_at, last_used_at, revoked_at, rotated_from, created_at';

export interface ApiKeyRow {
  id: string;
  owner_id: string;
  name: string | null;
  env: string;
  prefix: string;
  scopes: string[];
  rate_limit_per_minute: number | null;
  expires_at: Date | string | null;
  last_used_at: Date | string | null;
  revoked_at: Date | string | null;
  rotated_from: string | null;
  created_at: Date | string;
}

const toDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
const toDateOrNull = (v: Date | string | null): Date | null => (v === null ? null : toDate(v));

export function recordFromRow(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    ownerId: row.owner_id,
    name: row.name,
    env: row.env as ApiKeyEnv,
    prefix: row.prefix,
    scopes: row.scopes,
    rateLimitPerMinute: row.rate_limit_per_minute,
    expiresAt: toDateOrNull(row.expires_at),
    lastUsedAt: toDateOrNull(row.last_used_at),
    revokedAt: toDateOrNull(row.revoked_at),
    rotatedFrom: row.rotated_from,
    createdAt: toDate(row.created_at),
  };
}
