// Sql on a PostgreSQL server through a pg Pool (DATABASE_URL).
import pg from 'pg';
import { StoreUnavailableError } from '../errors.ts';
import type { QueryResult } from '../types.ts';
import { checkServiceUrl } from '../url.ts';
import {
  oids,
  parseDate,
  parseInt8,
  parseTimestampUtc,
  type ScriptExecutor,
  type SqlDriver,
  sqlDriver,
} from './driver.ts';

export interface PgSqlOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Pool size (default 10). */
  max?: number;
  /** Give up connecting after this long (default 5000 ms). */
  connectionTimeoutMs?: number;
  /** Called with pool-level errors (an idle connection was dropped); the pool reconnects by itself. */
  onError?: (err: Error) => void;
}

// arrays: parse as text[] (pg's generic array parser), then convert each element
const textArray = (pg.types.getTypeParser as (oid: number) => (value: string) => (string | null)[])(1009);
const arrayOf =
  <T>(parse: (v: string) => T) =>
  (value: string): (T | null)[] =>
    textArray(value).map((v) => (v === null ? null : parse(v)));

const parsers: Record<number, (value: string) => unknown> = {
  [oids.int8]: parseInt8,
  [oids.int8Array]: arrayOf(parseInt8),
  [oids.date]: parseDate,
  [oids.dateArray]: arrayOf(parseDate),
  [oids.timestamp]: parseTimestampUtc,
  [oids.timestampArray]: arrayOf(parseTimestampUtc),
};

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (format ?? 'text') === 'text' && parsers[oid]
      ? parsers[oid]
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);

function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (unavailableCodes.has(code) || code.startsWith('08'))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    err.message,
  );
}

export function openPgSql(options: PgSqlOptions): SqlDriver {
  const where = checkServiceUrl(options.url, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    types,
  });
  pool.on('error', (err) => options.onError?.(err));

  const fail = (err: unknown): never => {
    if (isConnectionError(err))
      throw new StoreUnavailableError(`PostgreSQL at ${where} is unavailable`, { cause: err });
    throw err;
  };

  const run = async <Row>(
    on: pg.Pool | pg.PoolClient,
    text: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<Row>> => {
    try {
      const result = await on.query(text, params ? [...params] : undefined);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    } catch (err) {
      return fail(err);
    }
  };

  return sqlDriver('postgres', 'the PostgreSQL connection pool', {
    query: (text, params) => run(pool, text, params),
    async transaction(fn) {
      const client = await pool.connect().catch(fail);
      let broken = false;
      try {
        await run(client, 'BEGIN');
        const tx: ScriptExecutor = {
          query: (text, params) => run(client, text, params),
          async exec(script) {
            // without parameters pg uses the simple protocol: several statements, one result each
            await client.query(script).catch(fail);
          },
        };
        const result = await fn(tx);
        await run(client, 'COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw err;
      } finally {
        client.release(broken);
      }
    },
    probe: () => pool.query('SELECT 1'),
    close: () => pool.end(),
  });
}
