// The two SQL backends every SQL-level test runs against: PGlite in memory and a fresh database on the
// run's PostgreSQL server.
import { MEMORY_DATA_DIR, openPgliteSql, openPgSql, type SqlDriver } from '@edgepass/store';
import { createTestDatabase } from '../../../test/support/env.ts';

export interface SqlFixture {
  sql: SqlDriver;
  /** Closes the driver (if still open) and removes the database. */
  dispose(): Promise<void>;
}

export const sqlBackends: readonly [name: string, open: () => Promise<SqlFixture>][] = [
  [
    'PGlite',
    async () => {
      const sql = await openPgliteSql({ dataDir: MEMORY_DATA_DIR });
      return { sql, dispose: () => sql.close() };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const db = await createTestDatabase();
      const sql = openPgSql({ url: db.url });
      return {
        sql,
        async dispose() {
          await sql.close();
          await db.drop();
        },
      };
    },
  ],
];
