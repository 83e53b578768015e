import { MEMORY_DATA_DIR, openPgliteSql, openPgSql } from '@edgepass/store';
import { createTestDatabase } from '../../../test/support/env.ts';
import { sqlSuite } from './sql-suite.ts';

sqlSuite('PGlite (memory://)', async () => {
  const sql = await openPgliteSql({ dataDir: MEMORY_DATA_DIR });
  return { sql, dispose: () => sql.close() };
});

sqlSuite('a PostgreSQL server', async () => {
  const db = await createTestDatabase();
  const sql = openPgSql({ url: db.url });
  return {
    sql,
    async dispose() {
      await sql.close();
      await db.drop();
    },
  };
});
