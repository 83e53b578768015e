// Domain records → JSON response bodies (the shapes in schemas.ts).
import type { z } from 'zod';
import type { OwnerProfile } from '../apikeys/owners.ts';
import { type ApiKeyRecord, apiKeyStatus } from '../apikeys/record.ts';
import type { ListPage } from '../apikeys/repository.ts';
import type { IssuedApiKey } from '../apikeys/service.ts';
import type { apiKeyListView, apiKeyView, issuedKeyView, profileView } from './schemas.ts';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export function apiKeyJson(r: ApiKeyRecord, now: Date): z.output<typeof apiKeyView> {
  return {
    id: r.id,
    ownerId: r.ownerId,
    name: r.name,
    env: r.env,
    prefix: r.prefix,
    scopes: r.scopes,
    rateLimitPerMinute: r.rateLimitPerMinute,
    status: apiKeyStatus(r, now),
    expiresAt: iso(r.expiresAt),
    lastUsedAt: iso(r.lastUsedAt),
    revokedAt: iso(r.revokedAt),
    rotatedFrom: r.rotatedFrom,
    createdAt: r.createdAt.toISOString(),
  };
}

export function apiKeyListJson(page: ListPage, now: Date): z.output<typeof apiKeyListView> {
  return { items: page.items.map((r) => apiKeyJson(r, now)), nextCursor: page.nextCursor };
}

export function issuedKeyJson(issued: IssuedApiKey, now: Date): z.output<typeof issuedKeyView> {
  return { key: issued.key, apiKey: apiKeyJson(issued.record, now) };
}

export function profileJson(p: OwnerProfile): z.output<typeof profileView> {
  return {
    id: p.id,
    email: p.email,
    name: p.name,
    emailVerified: p.emailVerified,
    plan: p.plan,
    roles: p.roles,
    status: p.status,
    tenant: p.tenant,
  };
}
