// Sql on PGlite (PostgreSQL compiled to WASM, in process): the embedded mode. `memory://` gives a
// throwaway database; any other dataDir is a persistent directory owned by this process.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite, type Results, type Transaction } from '@electric-sql/pglite';
import type { QueryResult } from '../types.ts';
import { acquireDirLock } from './dir-lock.ts';
import { oids, parseDate, parseInt8, type ScriptExecutor, type SqlDriver, sqlDriver } from './driver.ts';

export const MEMORY_DATA_DIR = 'memory://';

export interface PgliteSqlOptions {
  /** The PGlite data directory, or `memory://`. */
  dataDir: string;
}

// PGlite derives array parsers from these; timestamp is already read as UTC.
const parsers = { [oids.int8]: parseInt8, [oids.date]: parseDate };

/** PGlite attaches the query parameters to its errors: drop them so no value ends up in a log. */
function scrub(err: unknown): unknown {
  if (err && typeof err === 'object') {
    for (const key of ['params', 'queryOptions']) {
      if (key in err) Reflect.deleteProperty(err, key);
    }
  }
  return err;
}

function toResult<Row>(r: Results<Row>): QueryResult<Row> {
  return { rows: r.rows, rowCount: r.rowCount ?? r.affectedRows ?? r.rows.length };
}

type Runner = Pick<Transaction, 'query' | 'exec'>;

function executor(on: Runner): ScriptExecutor {
  return {
    async query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]) {
      try {
        return toResult(await on.query<Row>(text, params ? [...params] : undefined));
      } catch (err) {
        throw scrub(err);
      }
    },
    async exec(script: string) {
      try {
        await on.exec(script);
      } catch (err) {
        throw scrub(err);
      }
    },
  };
}

export async function openPgliteSql(options: PgliteSqlOptions): Promise<SqlDriver> {
  const inMemory = options.dataDir === MEMORY_DATA_DIR;
  let release = () => {};
  if (!inMemory) {
    mkdirSync(dirname(options.dataDir), { recursive: true, mode: 0o700 });
    release = acquireDirLock(`${options.dataDir}.lock`, `the embedded database ${options.dataDir}`);
  }
  let db: PGlite;
  try {
    db = await PGlite.create(inMemory ? undefined : options.dataDir, { parsers });
  } catch (err) {
    release();
    throw err;
  }
  // PGlite's transaction holds its own mutex: queries made outside wait until COMMIT/ROLLBACK.
  return sqlDriver('pglite', 'the embedded database', {
    query: executor(db).query,
    transaction: (fn) => db.transaction((tx) => fn(executor(tx))),
    probe: () => db.query('SELECT 1'),
    async close() {
      try {
        await db.close();
      } finally {
        release();
      }
    },
  });
}
