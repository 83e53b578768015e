// What both SQL drivers (pg and PGlite) provide beyond the public Sql contract, and the value
// conversions that make them return identical rows.
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
