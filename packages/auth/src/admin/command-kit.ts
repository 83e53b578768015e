// Shared plumbing of the `edgepass users|clients|api-keys|keys|auth` commands (packages/cli wires them in): a
// subcommand dispatcher with usage errors (exit 2) vs failures (exit 1), injectable I/O for in-process
// tests, and the store + master key opened from the environment, as an operator runs them next to a
// deployment without the service running.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ensureDevMasterKey, loadMasterKey, openStore, type Store, storeOptionsFromEnv } from '@edgepass/store';
import { type AuthConfig, loadAuthConfig } from '../config.ts';
import { isAuthServiceError } from '../errors.ts';

export class UsageError extends Error {}

/** A usage mistake (exit 2, with the usage text) rather than a failure (exit 1). */
export function isUsageError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
}

export interface CommandIo {
  env?: NodeJS.ProcessEnv;
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** Reads stdin to the end (for --password-stdin). */
  stdin?: () => Promise<string>;
  /** Opens the store (default: openStore(storeOptionsFromEnv(env))). */
  openStore?: (env: NodeJS.ProcessEnv) => Promise<Store>;
}

export interface CommandContext {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
  stdin: () => Promise<string>;
  /** Opens the store named by the environment (the caller closes it). */
  openStore(): Promise<Store>;
  /** Runs fn with a store opened from the environment, closing it afterwards. */
  withStore<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  /** EDGEPASS_MASTER_KEY; embedded mode (no DATABASE_URL) falls back to the dev key file in the data dir. */
  masterKey(): Uint8Array;
  /** The auth config when --config is given (plans, static clients, signing alg, TTLs). */
  config(file: string | undefined): AuthConfig | undefined;
}

/** The shape of packages/cli's Command (kept structural: @edgepass/auth does not depend on the CLI). */
export interface AdminCommand {
  name: string;
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

export type Subcommand = (args: string[], ctx: CommandContext) => Promise<void>;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function commandContext(io: CommandIo = {}): CommandContext {
  const env = io.env ?? process.env;
  const open = io.openStore ?? ((e: NodeJS.ProcessEnv) => openStore(storeOptionsFromEnv(e)));
  return {
    env,
    out: io.out ?? ((line) => process.stdout.write(`${line}\n`)),
    err: io.err ?? ((line) => process.stderr.write(`${line}\n`)),
    stdin: io.stdin ?? readStdin,
    openStore: () => open(env),
    async withStore(fn) {
      const store = await open(env);
      try {
        return await fn(store);
      } finally {
        await store.close();
      }
    },
    masterKey() {
      if (env.EDGEPASS_MASTER_KEY?.trim() || env.DATABASE_URL?.trim()) return loadMasterKey(env);
      return ensureDevMasterKey(storeOptionsFromEnv(env).dataDir ?? './data');
    },
    config: (file) => (file ? loadAuthConfig({ file, env }) : undefined),
  };
}

/** parseArgs, strict, with positionals. */
export function args<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
}

/** parseArgs for a subcommand that takes no positional argument: its option values. */
export function flags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  const { values, positionals } = args(argv, options);
  if (positionals.length > 0) throw new UsageError('unexpected argument');
  return values;
}

export function exactlyOne(positionals: string[], what: string): string {
  if (positionals.length !== 1 || !positionals[0]) throw new UsageError(`expected exactly one ${what}`);
  return positionals[0];
}

/** Aligned columns. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

export const iso = (d: Date | null | undefined) => (d ? d.toISOString() : '-');

/** A table cell: a date prints as ISO 8601, nothing (null, undefined, '') as `-`. */
export type Cell = string | Date | null | undefined;

const cellText = (value: Cell): string => (value instanceof Date ? value.toISOString() : value || '-');

export interface ListOptions<T> {
  /** --json: one JSON array of `jsonOf(item)` (default the item itself) instead of columns */
  json: boolean;
  /** column header → the cell of an item */
  columns: Record<string, (item: T) => Cell>;
  jsonOf?: (item: T) => unknown;
}

/** Prints a list on stdout: aligned columns under their headers, or JSON with --json. */
export function printList<T>(ctx: CommandContext, items: readonly T[], options: ListOptions<T>): void {
  if (options.json) {
    ctx.out(JSON.stringify(options.jsonOf ? items.map(options.jsonOf) : items));
    return;
  }
  const cells = Object.values(options.columns);
  const rows = items.map((item) => cells.map((cell) => cellText(cell(item))));
  for (const line of table([Object.keys(options.columns), ...rows])) ctx.out(line);
}

/** `--limit 50` → 50; UsageError unless 1 to 999999999. */
export function positiveInt(text: string, option: string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw new UsageError(`${option}: expected a positive integer`);
  return Number(text);
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `30d` → 2592000 seconds; UsageError otherwise. */
export function durationSec(text: string, option: string): number {
  const m = /^(\d{1,7})([smhd])$/.exec(text);
  if (!m?.[1] || !m[2]) throw new UsageError(`${option}: expected a duration like 90s, 20m, 12h or 30d`);
  return Number(m[1]) * (UNITS[m[2]] ?? 0);
}

export function defineCommand(spec: {
  name: string;
  summary: string;
  usage: string;
  subcommands: Record<string, Subcommand>;
  io?: CommandIo;
}): AdminCommand {
  const { name, usage, subcommands } = spec;
  return {
    name,
    summary: spec.summary,
    usage,
    async run(argv) {
      const ctx = commandContext(spec.io);
      const [sub, ...rest] = argv;
      const handler = sub !== undefined && Object.hasOwn(subcommands, sub) ? subcommands[sub] : undefined;
      if (!handler) {
        ctx.err(sub === undefined ? usage : `edgepass ${name}: unknown subcommand "${sub}"\n\n${usage}`);
        return 2;
      }
      try {
        await handler(rest, ctx);
        return 0;
      } catch (e) {
        if (isUsageError(e)) {
          ctx.err(`edgepass ${name} ${sub}: ${(e as Error).message}\n\n${usage}`);
          return 2;
        }
        const detail = isAuthServiceError(e) ? `${e.message} (${e.reason})` : ((e as Error).message ?? String(e));
        ctx.err(`edgepass ${name} ${sub}: ${detail}`);
        return 1;
      }
    },
  };
}
