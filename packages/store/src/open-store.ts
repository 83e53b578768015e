// openStore: SQL (PostgreSQL server or embedded PGlite) + fast state (Redis or memory), migrated on open.
import { join, resolve } from 'node:path';
import { type FastStateOptions, openFastState } from './fast/open.ts';
import { type Migration, migrate } from './migrate.ts';
import type { SqlDriver } from './sql/driver.ts';
import { openPgSql } from './sql/pg.ts';
import { MEMORY_DATA_DIR, openPgliteSql } from './sql/pglite.ts';
import type { FastState, Sql, Store, StoreOptions } from './types.ts';

export const DEFAULT_DATA_DIR = './data';

export interface OpenStoreOptions extends StoreOptions, Omit<FastStateOptions, 'redisUrl'> {
  /** Migrations to apply instead of the package's own (tests). */
  migrations?: readonly Migration[];
  /** pg pool-level errors (an idle connection dropped), for logging. */
  onSqlError?: (err: Error) => void;
}

export interface OpenedStore extends Store {
  readonly sql: SqlDriver;
}

/** Reads DATABASE_URL, EDGEPASS_DATA_DIR (default ./data), REDIS_URL and EDGEPASS_REDIS_PREFIX. Empty values count as unset. */
export function storeOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): StoreOptions {
  const value = (name: string) => (env[name]?.trim() ? env[name]?.trim() : undefined);
  const options: StoreOptions = { dataDir: value('EDGEPASS_DATA_DIR') ?? DEFAULT_DATA_DIR };
  const databaseUrl = value('DATABASE_URL');
  const redisUrl = value('REDIS_URL');
  const keyPrefix = value('EDGEPASS_REDIS_PREFIX');
  if (databaseUrl) options.databaseUrl = databaseUrl;
  if (redisUrl) options.redisUrl = redisUrl;
  if (keyPrefix) options.keyPrefix = keyPrefix;
  return options;
}

/**
 * The warning a process should log at start when its store mixes a PostgreSQL server (DATABASE_URL: other processes
 * may share it) with in-memory fast state (no REDIS_URL): everything the fast state holds is then silently
 * per process. undefined for a consistent store (embedded PGlite + memory, or PostgreSQL + Redis).
 */
export function unsharedFastStateWarning(store: {
  sql: Pick<Sql, 'kind'>;
  fast: Pick<FastState, 'kind'>;
}): string | undefined {
  if (store.sql.kind !== 'postgres' || store.fast.kind !== 'memory') return undefined;
  return (
    'DATABASE_URL is set but REDIS_URL is not: the fast state (rate limits, quotas, login throttling, the token ' +
    'denylist, OAuth interactions and codes, refresh locks, revocation and key-rotation events) is kept in this ' +
    'process only, so other instances sharing the database do not see it. Set REDIS_URL to run more than one instance.'
  );
}

/** Where PGlite keeps its files for a data directory (`memory://` stays in memory). */
export function pgliteDir(dataDir: string): string {
  return dataDir === MEMORY_DATA_DIR ? MEMORY_DATA_DIR : join(resolve(dataDir), 'pg');
}

export async function openSql(options: OpenStoreOptions): Promise<SqlDriver> {
  if (options.databaseUrl) return openPgSql({ url: options.databaseUrl, onError: options.onSqlError });
  return await openPgliteSql({ dataDir: pgliteDir(options.dataDir ?? DEFAULT_DATA_DIR) });
}

export async function openStore(options: OpenStoreOptions = {}): Promise<OpenedStore> {
  const { databaseUrl, dataDir, redisUrl, migrate: shouldMigrate = true, migrations, onSqlError, ...fast } = options;
  const sql = await openSql({ databaseUrl, dataDir, onSqlError });
  try {
    if (shouldMigrate) await migrate(sql, migrations);
    const fastState = await openFastState({ ...fast, redisUrl });
    let closing: Promise<void> | undefined;
    return {
      sql,
      fast: fastState,
      close() {
        closing ??= Promise.allSettled([fastState.close(), sql.close()]).then(([a, b]) => {
          for (const r of [a, b]) if (r.status === 'rejected') throw r.reason;
        });
        return closing;
      },
    };
  } catch (err) {
    await sql.close().catch(() => {});
    throw err;
  }
}
