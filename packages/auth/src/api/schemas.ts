// Request and response shapes of the JSON API (zod): validated at runtime for requests, and the single
// source of the OpenAPI document's schemas for both.
import { z } from 'zod';
import { API_KEY_ENVS } from '../apikeys/format.ts';
import { decodeCursor } from '../apikeys/repository.ts';
import { MAX_SCOPES_PER_KEY, SCOPE_PATTERN } from '../apikeys/scopes.ts';
import { MAX_ROTATION_OVERLAP_SEC } from '../apikeys/service.ts';
import { MAX_USAGE_RANGE_DAYS } from '../usage/report.ts';

export const MAX_RATE_LIMIT_PER_MINUTE = 1_000_000;
export const MAX_LIST_LIMIT = 200;

const keyName = z.string().trim().min(1).max(100);
const scopes = z.array(z.string().regex(SCOPE_PATTERN)).max(MAX_SCOPES_PER_KEY);
const rateLimit = z.number().int().min(1).max(MAX_RATE_LIMIT_PER_MINUTE);
const instantInput = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const userId = z.string().min(1).max(128);
const apiKeyIdParam = z.string().regex(/^key_[A-Za-z0-9_-]{22}$/);
const isoDay = z.iso.date();

// ---- path and query parameters

export const keyIdParams = z.object({ id: apiKeyIdParam }).strict();
export const userIdParams = z.object({ id: userId }).strict();

const listFields = {
  limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(50),
  cursor: z
    .string()
    .max(200)
    .transform((value, ctx) => {
      const cursor = decodeCursor(value);
      if (!cursor) ctx.addIssue({ code: 'custom', message: 'invalid cursor' });
      return cursor ?? z.NEVER;
    })
    .optional(),
};
export const listKeysQuery = z.object(listFields).strict();
export const adminListKeysQuery = z.object({ ...listFields, owner: userId.optional() }).strict();

function dayRange<T extends { from: string; to: string }>(range: T, ctx: z.RefinementCtx): void {
  const days = (Date.parse(range.to) - Date.parse(range.from)) / 86_400_000;
  if (days < 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'to is before from' });
  else if (days >= MAX_USAGE_RANGE_DAYS)
    ctx.addIssue({
      code: 'too_big',
      origin: 'date',
      maximum: MAX_USAGE_RANGE_DAYS,
      path: ['to'],
      message: 'range too long',
    });
}

export const usageQuery = z
  .object({ from: isoDay, to: isoDay, key: apiKeyIdParam.optional() })
  .strict()
  .superRefine(dayRange);
export const adminUsageQuery = z
  .object({ from: isoDay, to: isoDay, user: userId.optional(), key: apiKeyIdParam.optional() })
  .strict()
  .superRefine(dayRange)
  .superRefine((q, ctx) => {
    if ((q.user === undefined) === (q.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['user'], message: 'exactly one of user and key' });
    }
  });

// ---- request bodies

const createKeyFields = {
  name: keyName.optional(),
  scopes: scopes.optional(),
  expiresAt: instantInput.optional(),
  rateLimitPerMinute: rateLimit.optional(),
};
export const createKeyBody = z.object(createKeyFields).strict();
export const adminCreateKeyBody = z
  .object({ ...createKeyFields, ownerId: userId, env: z.enum(API_KEY_ENVS).optional() })
  .strict();
export const updateKeyBody = z
  .object({
    name: keyName.nullable().optional(),
    scopes: scopes.optional(),
    rateLimitPerMinute: rateLimit.nullable().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'no field to change' });
export const rotateKeyBody = z
  .object({
    overlapSec: z.number().int().min(0).max(MAX_ROTATION_OVERLAP_SEC).optional(),
    expiresAt: instantInput.optional(),
  })
  .strict();
export const setPlanBody = (plans: readonly string[]) =>
  z.object({ plan: z.enum(plans as [string, ...string[]]) }).strict();

// ---- responses

const instant = z.iso.datetime();

export const apiKeyView = z
  .object({
    id: z.string(),
    ownerId: z.string(),
    name: z.string().nullable(),
    env: z.enum(API_KEY_ENVS),
    prefix: z.string().describe('the first characters of the key, for recognising it in listings'),
    scopes: z.array(z.string()),
    rateLimitPerMinute: z.number().int().nullable(),
    status: z.enum(['active', 'expired', 'revoked']),
    expiresAt: instant.nullable(),
    lastUsedAt: instant.nullable().describe('updated by gateways in batches (may lag by up to a minute)'),
    revokedAt: instant.nullable(),
    rotatedFrom: z.string().nullable(),
    createdAt: instant,
  })
  .strict();

export const issuedKeyView = z
  .object({ key: z.string().describe('the API key: shown only in this response, store it now'), apiKey: apiKeyView })
  .strict();
export const rotatedKeyView = issuedKeyView.extend({ previous: apiKeyView }).strict();
export const apiKeyListView = z.object({ items: z.array(apiKeyView), nextCursor: z.string().nullable() }).strict();

export const profileView = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    emailVerified: z.boolean(),
    plan: z.string(),
    roles: z.array(z.string()),
    status: z.enum(['active', 'disabled']),
    tenant: z.string().nullable(),
  })
  .strict();

const dayUsage = z
  .object({ day: isoDay, total: z.number().int(), services: z.record(z.string(), z.number().int()) })
  .strict();
export const usageReportView = z
  .object({
    from: isoDay,
    to: isoDay,
    total: z.number().int(),
    principals: z.array(
      z
        .object({
          principal: z.string().describe('`user:<id>` or `key:<id>`'),
          kind: z.enum(['user', 'key']),
          id: z.string(),
          total: z.number().int(),
          days: z.array(dayUsage).describe('days without requests are omitted'),
        })
        .strict(),
    ),
  })
  .strict();

export const problemView = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().describe('stable error code (docs/errors.md)'),
    requestId: z.string(),
    errors: z
      .array(
        z
          .object({
            in: z.enum(['body', 'query', 'path']),
            pointer: z.string().describe('JSON pointer to the invalid field'),
            code: z.string(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

export const openApiView = z.object({ openapi: z.string() }).loose();
