// What both SQL drivers (pg and PGlite) provide beyond the public Sql contract, and the value
// conversions that make them return identical rows.
import { StoreError } from '../errors.ts';
import type { Sql, SqlExecutor } from '../types.ts';

/** A transaction handle that can also run a multi-statement script (migrations). */
export interface ScriptExecutor extends SqlExecutor {
  /** Runs one or more statements without parameters and without returning rows. */
  exec(script: string): Promise<void>;
}

export interface SqlDriver extends Sql {
  transaction<T>(fn: (tx: ScriptExecutor) => Promise<T>): Promise<T>;
}

/** PostgreSQL type oids whose default parsing differs between pg and PGlite. */
export const oids = {
  int8: 20,
  int8Array: 1016,
  date: 1082,
  dateArray: 1182,
  timestamp: 1114,
  timestampArray: 1115,
} as const;

/** int8/bigint → number: counters never get near 2^53. */
export const parseInt8 = (value: string): number => Number(value);

/** date → 'YYYY-MM-DD' (no time zone games). */
export const parseDate = (value: string): string => value;

/** timestamp without time zone → Date, read as UTC. */
export const parseTimestampUtc = (value: string): Date => new Date(`${value.replace(' ', 'T')}Z`);

export interface DriverImpl {
  query: SqlExecutor['query'];
  transaction<T>(fn: (tx: ScriptExecutor) => Promise<T>): Promise<T>;
  /** A trivial query: ping() is true when it resolves. */
  probe(): Promise<unknown>;
  close(): Promise<void>;
}

/** The closed-state handling both drivers share: STORE_CLOSED after close(), ping() false, close() once. */
export function sqlDriver(kind: Sql['kind'], what: string, impl: DriverImpl): SqlDriver {
  let closed = false;
  const checkOpen = () => {
    if (closed) throw new StoreError('STORE_CLOSED', `${what} is closed`);
  };
  return {
    kind,
    async query(text, params) {
      checkOpen();
      return await impl.query(text, params);
    },
    async transaction(fn) {
      checkOpen();
      return await impl.transaction(fn);
    },
    async ping() {
      if (closed) return false;
      try {
        await impl.probe();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await impl.close();
    },
  };
}
