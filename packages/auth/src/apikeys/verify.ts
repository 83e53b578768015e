// The reference semantics of "is this presented API key valid right now", as the gateway applies them:
// well-formed, its SHA-256 is in api_keys.hash, not revoked, not expired, owner active. Outcomes are
// data (never thrown); the reason stays inside trusted code and logs, never at the public edge.
import type { SqlExecutor } from '@edgepass/store';
import { hashApiKey, isApiKeyFormat } from './format.ts';
import { findOwner } from './owners.ts';
import { type ApiKeyRecord, apiKeyStatus } from './record.ts';
import { selectApiKeyByHash } from './repository.ts';

export type ApiKeyRejection = 'malformed' | 'unknown' | 'revoked' | 'expired' | 'owner_inactive';

export type ApiKeyVerification = { valid: true; record: ApiKeyRecord } | { valid: false; reason: ApiKeyRejection };

export async function verifyApiKey(db: SqlExecutor, presented: string, now: Date): Promise<ApiKeyVerification> {
  if (!isApiKeyFormat(presented)) return { valid: false, reason: 'malformed' };
  const record = await selectApiKeyByHash(db, hashApiKey(presented));
  if (!record) return { valid: false, reason: 'unknown' };
  const status = apiKeyStatus(record, now);
  if (status !== 'active') return { valid: false, reason: status };
  if ((await findOwner(db, record.ownerId))?.status !== 'active') return { valid: false, reason: 'owner_inactive' };
  return { valid: true, record };
}
