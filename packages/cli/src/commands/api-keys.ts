// `edgepass api-keys ...`: manage API keys directly on the store named by the environment (DATABASE_URL or
// EDGEPASS_DATA_DIR, REDIS_URL, EDGEPASS_REDIS_PREFIX); the auth service need not be running. Changes
// are published as api_key.changed, so gateways sharing the Redis drop their cached lookups at once.
import { parseArgs } from 'node:util';
import { openStore, type Store, storeOptionsFromEnv } from '@edgepass/store';
import {
  API_KEY_ENVS,
  type ApiKeyRecord,
  apiKeyService,
  apiKeyStatus,
  decodeCursor,
  findOwner,
  isApiKeyEnv,
  JsonApiError,
} from '../../../auth/src/apikeys/index.ts';
import type { Command } from '../cli.ts';

export interface ApiKeysCommandIo {
  env?: NodeJS.ProcessEnv;
  out?: (line: string) => void;
  err?: (line: string) => void;
  now?: () => Date;
  /** opens the store (default: openStore(storeOptionsFromEnv(env))) */
  openStore?: (env: NodeJS.ProcessEnv) => Promise<Store>;
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

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `30d` → 2592000; undefined for anything else. */
export function parseDurationSec(text: string): number | undefined {
  const m = /^(\d{1,7})([smhd])$/.exec(text);
  return m?.[1] && m[2] ? Number(m[1]) * (UNITS[m[2]] ?? 0) : undefined;
}

class UsageError extends Error {}

function duration(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const sec = parseDurationSec(text);
  if (sec === undefined) throw new UsageError(`${option}: expected a duration like 30d, 12h, 90m or 3600s`);
  return sec;
}

function positiveInt(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw new UsageError(`${option}: expected a positive integer`);
  return Number(text);
}

function oneId(positionals: string[], sub: string): string {
  if (positionals.length !== 1 || !positionals[0]) throw new UsageError(`${sub}: expected exactly one key id`);
  return positionals[0];
}

const iso = (d: Date | null) => (d ? d.toISOString() : '-');

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

export function createApiKeysCommand(io: ApiKeysCommandIo = {}): Command {
  const env = io.env ?? process.env;
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = io.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = io.now ?? (() => new Date());
  const open = io.openStore ?? ((e: NodeJS.ProcessEnv) => openStore(storeOptionsFromEnv(e)));

  async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
    const store = await open(env);
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }

  const service = (store: Store, keyEnv: string) => {
    if (!isApiKeyEnv(keyEnv)) throw new UsageError(`--env: expected one of ${API_KEY_ENVS.join(', ')}`);
    return apiKeyService({
      sql: store.sql,
      pubsub: store.fast.pubsub,
      env: keyEnv,
      now,
      logger: { error: (_obj, msg) => err(`warning: ${msg} (gateways drop cached keys on their own TTL)`) },
    });
  };

  async function ownerId(store: Store, ref: string): Promise<string> {
    const owner = await findOwner(store.sql, ref);
    if (!owner) throw new JsonApiError('API_NOT_FOUND', { reason: `no user ${ref}` });
    return owner.id;
  }

  const subcommands: Record<string, (args: string[]) => Promise<void>> = {
    async create(args) {
      const { values, positionals } = parseArgs({
        args,
        strict: true,
        allowPositionals: true,
        options: {
          owner: { type: 'string' },
          name: { type: 'string' },
          scope: { type: 'string', multiple: true },
          expires: { type: 'string' },
          'rate-limit': { type: 'string' },
          env: { type: 'string', default: 'live' },
        },
      });
      if (positionals.length > 0 || !values.owner) throw new UsageError('create: --owner <email|id> is required');
      const owner = values.owner;
      const expiresSec = duration(values.expires, '--expires');
      const rateLimitPerMinute = positiveInt(values['rate-limit'], '--rate-limit');
      await withStore(async (store) => {
        const keys = service(store, values.env);
        const issued = await keys.createApiKey({
          ownerId: await ownerId(store, owner),
          name: values.name,
          scopes: values.scope ?? [],
          expiresAt: expiresSec === undefined ? undefined : new Date(now().getTime() + expiresSec * 1000),
          rateLimitPerMinute,
        });
        out(issued.key);
        err(`created ${issued.record.id} (${issued.record.prefix}…) for ${owner}; the key is shown only once`);
      });
    },

    async list(args) {
      const { values, positionals } = parseArgs({
        args,
        strict: true,
        allowPositionals: true,
        options: { owner: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean', default: false } },
      });
      if (positionals.length > 0) throw new UsageError('list: unexpected argument');
      const limit = positiveInt(values.limit, '--limit') ?? 1000;
      await withStore(async (store) => {
        const keys = service(store, 'live');
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
        if (values.json) {
          out(JSON.stringify(items.map((r) => ({ ...r, status: apiKeyStatus(r, at) }))));
          return;
        }
        const header = ['ID', 'PREFIX', 'OWNER', 'NAME', 'SCOPES', 'STATUS', 'EXPIRES', 'LAST USED'];
        const rows = items.map((r) => [
          r.id,
          r.prefix,
          r.ownerId,
          r.name ?? '-',
          r.scopes.join(' ') || '-',
          apiKeyStatus(r, at),
          iso(r.expiresAt),
          iso(r.lastUsedAt),
        ]);
        for (const line of table([header, ...rows])) out(line);
        if (next !== null) err(`more keys exist: raise --limit (${limit})`);
      });
    },

    async revoke(args) {
      const { positionals } = parseArgs({ args, strict: true, allowPositionals: true, options: {} });
      const id = oneId(positionals, 'revoke');
      await withStore(async (store) => {
        const record = await service(store, 'live').revokeApiKey(id);
        out(`revoked ${record.id} at ${iso(record.revokedAt)}`);
      });
    },

    async rotate(args) {
      const { values, positionals } = parseArgs({
        args,
        strict: true,
        allowPositionals: true,
        options: { overlap: { type: 'string', default: '1d' }, expires: { type: 'string' } },
      });
      const id = oneId(positionals, 'rotate');
      const overlapSec = duration(values.overlap, '--overlap');
      const expiresSec = duration(values.expires, '--expires');
      await withStore(async (store) => {
        const rotated = await service(store, 'live').rotateApiKey(id, {
          overlapSec,
          expiresAt: expiresSec === undefined ? undefined : new Date(now().getTime() + expiresSec * 1000),
        });
        out(rotated.key);
        err(
          `created ${rotated.record.id} (${rotated.record.prefix}…) replacing ${id}, which stops working at ` +
            `${iso(rotated.previous.expiresAt)}; the new key is shown only once`,
        );
      });
    },
  };

  return {
    name: 'api-keys',
    summary: 'create, list, revoke and rotate API keys (works on the store directly)',
    usage: USAGE,
    async run(args) {
      const [sub, ...rest] = args;
      const handler = sub !== undefined && Object.hasOwn(subcommands, sub) ? subcommands[sub] : undefined;
      if (!handler) {
        err(sub === undefined ? USAGE : `edgepass api-keys: unknown subcommand "${sub}"\n\n${USAGE}`);
        return 2;
      }
      try {
        await handler(rest);
        return 0;
      } catch (e) {
        if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
          err(`edgepass api-keys: ${(e as Error).message}\n\n${USAGE}`);
          return 2;
        }
        if (e instanceof JsonApiError) {
          err(`edgepass api-keys: ${e.message} (${e.reason})`);
          return 1;
        }
        err(`edgepass api-keys: ${(e as Error).message ?? String(e)}`);
        return 1;
      }
    },
  };
}

export const apiKeysCommand: Command = createApiKeysCommand();
