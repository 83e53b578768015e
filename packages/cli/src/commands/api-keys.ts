// `edgepass api-keys ...`: manage API keys directly on the store named by the environment (DATABASE_URL or
// EDGEPASS_DATA_DIR, REDIS_URL, EDGEPASS_REDIS_PREFIX); the auth service need not be running. Changes
// are published as api_key.changed, so gateways sharing the Redis drop their cached lookups at once.
import {
  API_KEY_ENVS,
  type ApiKeyRecord,
  apiKeyService,
  apiKeyStatus,
  decodeCursor,
  findOwner,
  isApiKeyEnv,
  JsonApiError,
} from '@edgepass/auth';
import {
  args,
  type CommandContext,
  type CommandIo,
  defineCommand,
  durationSec,
  exactlyOne,
  flags,
  iso,
  positiveInt,
  printList,
  UsageError,
} from '@edgepass/auth/admin';
import type { Store } from '@edgepass/store';
import type { Command } from '../cli.ts';

export interface ApiKeysCommandIo extends CommandIo {
  now?: () => Date;
}

const USAGE = `usage: edgepass api-keys <subcommand> [options]

Manages API keys on the store named by DATABASE_URL (or EDGEPASS_DATA_DIR) and REDIS_URL.

subcommands:
  create --owner <email|id> [--name <name>] [--scope <scope>]... [--expires <duration>]
         [--rate-limit <per-minute>] [--env live|test]
      Creates a key and prints it once on stdout (details on stderr). Any scope may be given.
  list [--owner <email|id>] [--limit <n>] [--json]
      Lists keys, newest first (never the key itself). Without --owner: every user's keys.
  revoke <id>
      Revokes a key at once (idempotent).
  rotate <id> [--overlap <duration>] [--expires <duration>]
      Prints a successor key; the old key keeps working for the overlap (default 1d, 0s for none).

durations: <n>s, <n>m, <n>h or <n>d (e.g. 90m, 30d).`;

async function ownerId(store: Store, ref: string): Promise<string> {
  const owner = await findOwner(store.sql, ref);
  if (!owner) throw new JsonApiError('API_NOT_FOUND', { reason: `no user ${ref}` });
  return owner.id;
}

export function createApiKeysCommand(io: ApiKeysCommandIo = {}): Command {
  const now = io.now ?? (() => new Date());
  const expiry = (text: string | undefined) =>
    text === undefined ? undefined : new Date(now().getTime() + durationSec(text, '--expires') * 1000);

  const service = (ctx: CommandContext, store: Store, keyEnv = 'live') => {
    if (!isApiKeyEnv(keyEnv)) throw new UsageError(`--env: expected one of ${API_KEY_ENVS.join(', ')}`);
    return apiKeyService({
      sql: store.sql,
      pubsub: store.fast.pubsub,
      env: keyEnv,
      now,
      logger: { error: (_obj, msg) => ctx.err(`warning: ${msg} (gateways drop cached keys on their own TTL)`) },
    });
  };

  return defineCommand({
    name: 'api-keys',
    summary: 'create, list, revoke and rotate API keys (works on the store directly)',
    usage: USAGE,
    io,
    subcommands: {
      async create(argv, ctx) {
        const values = flags(argv, {
          owner: { type: 'string' },
          name: { type: 'string' },
          scope: { type: 'string', multiple: true },
          expires: { type: 'string' },
          'rate-limit': { type: 'string' },
          env: { type: 'string', default: 'live' },
        });
        const owner = values.owner;
        if (!owner) throw new UsageError('--owner <email|id> is required');
        const expiresAt = expiry(values.expires);
        const limit = values['rate-limit'];
        const rateLimitPerMinute = limit === undefined ? undefined : positiveInt(limit, '--rate-limit');
        await ctx.withStore(async (store) => {
          const keys = service(ctx, store, values.env);
          const issued = await keys.createApiKey({
            ownerId: await ownerId(store, owner),
            name: values.name,
            scopes: values.scope ?? [],
            expiresAt,
            rateLimitPerMinute,
          });
          ctx.out(issued.key);
          ctx.err(`created ${issued.record.id} (${issued.record.prefix}…) for ${owner}; the key is shown only once`);
        });
      },

      async list(argv, ctx) {
        const values = flags(argv, {
          owner: { type: 'string' },
          limit: { type: 'string' },
          json: { type: 'boolean', default: false },
        });
        const limit = values.limit === undefined ? 1000 : positiveInt(values.limit, '--limit');
        await ctx.withStore(async (store) => {
          const keys = service(ctx, store);
          const owner = values.owner === undefined ? undefined : await ownerId(store, values.owner);
          const items: ApiKeyRecord[] = [];
          let next: string | null = null;
          do {
            const cursor = next === null ? undefined : decodeCursor(next);
            const page = await keys.listApiKeys({ ownerId: owner, limit: Math.min(200, limit - items.length), cursor });
            items.push(...page.items);
            next = page.nextCursor;
          } while (next !== null && items.length < limit);
          const at = now();
          printList(ctx, items, {
            json: values.json,
            jsonOf: (r) => ({ ...r, status: apiKeyStatus(r, at) }),
            columns: {
              ID: (r) => r.id,
              PREFIX: (r) => r.prefix,
              OWNER: (r) => r.ownerId,
              NAME: (r) => r.name,
              SCOPES: (r) => r.scopes.join(' '),
              STATUS: (r) => apiKeyStatus(r, at),
              EXPIRES: (r) => r.expiresAt,
              'LAST USED': (r) => r.lastUsedAt,
            },
          });
          if (next !== null) ctx.err(`more keys exist: raise --limit (${limit})`);
        });
      },

      async revoke(argv, ctx) {
        const id = exactlyOne(args(argv, {}).positionals, 'key id');
        await ctx.withStore(async (store) => {
          const record = await service(ctx, store).revokeApiKey(id);
          ctx.out(`revoked ${record.id} at ${iso(record.revokedAt)}`);
        });
      },

      async rotate(argv, ctx) {
        const { values, positionals } = args(argv, {
          overlap: { type: 'string', default: '1d' },
          expires: { type: 'string' },
        });
        const id = exactlyOne(positionals, 'key id');
        const overlapSec = durationSec(values.overlap, '--overlap');
        const expiresAt = expiry(values.expires);
        await ctx.withStore(async (store) => {
          const rotated = await service(ctx, store).rotateApiKey(id, { overlapSec, expiresAt });
          ctx.out(rotated.key);
          ctx.err(
            `created ${rotated.record.id} (${rotated.record.prefix}…) replacing ${id}, which stops working at ` +
              `${iso(rotated.previous.expiresAt)}; the new key is shown only once`,
          );
        });
      },
    },
  });
}

export const apiKeysCommand: Command = createApiKeysCommand();
