// One behavioural suite for both SQL drivers (PGlite and a PostgreSQL server): same SQL, same results.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isStoreError, type SqlDriver } from '@edgepass/store';
import type { SqlFixture } from './sql-backends.ts';

/** Resolves when release() is called: holds a transaction open at a known point. */
function gate(): { wait: Promise<void>; release(): void } {
  let release = () => {};
  const wait = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { wait, release };
}

export function sqlSuite(name: string, open: () => Promise<SqlFixture>): void {
  describe(`Sql on ${name}`, () => {
    let fx: SqlFixture;
    let sql: SqlDriver;
    before(async () => {
      fx = await open();
      sql = fx.sql;
    });
    after(async () => {
      await fx.dispose();
    });

    test('maps column types identically: text[], jsonb, timestamptz, int8, date, NULL', async () => {
      const { rows } = await sql.query(
        `SELECT '{a,"b,c",""}'::text[] AS arr, '{}'::text[] AS empty_arr, '{"x":1,"y":[true,null]}'::jsonb AS obj,
                '[1,"two"]'::jsonb AS list, '2024-02-29T23:59:58.250Z'::timestamptz AS ts,
                '2024-02-29 23:59:58.25'::timestamp AS ts_plain, 9007199254740991::int8 AS big, count(*) AS n,
                '{1,NULL,3}'::int8[] AS bigs, '2024-02-29'::date AS day, NULL::text AS nothing, 7::int4 AS i4,
                true AS yes, 1.50::numeric AS num`,
      );
      assert.deepEqual(rows, [
        {
          arr: ['a', 'b,c', ''],
          empty_arr: [],
          obj: { x: 1, y: [true, null] },
          list: [1, 'two'],
          ts: new Date('2024-02-29T23:59:58.250Z'),
          ts_plain: new Date('2024-02-29T23:59:58.250Z'),
          big: 9007199254740991,
          n: 1,
          bigs: [1, null, 3],
          day: '2024-02-29',
          nothing: null,
          i4: 7,
          yes: true,
          num: '1.50',
        },
      ]);
    });

    test('binds parameters identically: string[], Date, JSON text into jsonb, null, numbers', async () => {
      await sql.query(
        'CREATE TABLE params_t (tags text[], at timestamptz, doc jsonb, list jsonb, missing text, n bigint, f float8)',
      );
      const at = new Date('2030-01-02T03:04:05.678Z');
      await sql.query('INSERT INTO params_t VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        ['x', 'y z', 'quote"d'],
        at,
        JSON.stringify({ nested: { ok: true } }),
        JSON.stringify(['a', 1]),
        null,
        42,
        0.5,
      ]);
      const { rows } = await sql.query('SELECT * FROM params_t');
      assert.deepEqual(rows, [
        {
          tags: ['x', 'y z', 'quote"d'],
          at,
          doc: { nested: { ok: true } },
          list: ['a', 1],
          missing: null,
          n: 42,
          f: 0.5,
        },
      ]);
    });

    test('reports rowCount for INSERT, UPDATE, DELETE and SELECT', async () => {
      await sql.query('CREATE TABLE counts_t (id int PRIMARY KEY, v text)');
      assert.equal((await sql.query("INSERT INTO counts_t VALUES (1, 'a'), (2, 'b'), (3, 'c')")).rowCount, 3);
      assert.equal((await sql.query("UPDATE counts_t SET v = 'z' WHERE id > 1")).rowCount, 2);
      assert.equal((await sql.query('DELETE FROM counts_t WHERE id = 3')).rowCount, 1);
      const selected = await sql.query('SELECT id FROM counts_t ORDER BY id');
      assert.equal(selected.rowCount, 2);
      assert.deepEqual(selected.rows, [{ id: 1 }, { id: 2 }]);
      const returning = await sql.query<{ id: number }>("UPDATE counts_t SET v = 'y' WHERE id = 1 RETURNING id");
      assert.deepEqual(returning, { rows: [{ id: 1 }], rowCount: 1 });
    });

    test('errors carry the SQLSTATE code and never the bound parameters', async () => {
      await sql.query('CREATE TABLE unique_t (email text PRIMARY KEY)');
      await sql.query('INSERT INTO unique_t VALUES ($1)', ['a@example.com']);
      const err = await sql.query('INSERT INTO unique_t VALUES ($1)', ['a@example.com']).catch((e: unknown) => e);
      assert.ok(err instanceof Error);
      assert.equal((err as { code?: string }).code, '23505');
      assert.equal('params' in err, false);
      const secret = 'secret-token-value';
      const bad = await sql.query('SELECT $1::int', [secret]).catch((e: unknown) => e);
      assert.equal((bad as { code?: string }).code, '22P02');
      assert.equal(JSON.stringify(Object.entries(bad as object)).includes(secret), false);
    });

    test('transaction commits and returns the callback result', async () => {
      await sql.query('CREATE TABLE tx_commit (id int)');
      const result = await sql.transaction(async (tx) => {
        await tx.query('INSERT INTO tx_commit VALUES (1), (2)');
        return (await tx.query<{ n: number }>('SELECT count(*) AS n FROM tx_commit')).rows[0].n;
      });
      assert.equal(result, 2);
      assert.deepEqual((await sql.query('SELECT count(*) AS n FROM tx_commit')).rows, [{ n: 2 }]);
    });

    test('transaction rolls back every statement when the callback throws, and rethrows that error', async () => {
      await sql.query('CREATE TABLE tx_rollback (id int PRIMARY KEY)');
      const boom = new Error('boom');
      await assert.rejects(
        sql.transaction(async (tx) => {
          await tx.query('INSERT INTO tx_rollback VALUES (1)');
          await tx.query('INSERT INTO tx_rollback VALUES (2)');
          throw boom;
        }),
        (err) => err === boom,
      );
      await assert.rejects(
        sql.transaction(async (tx) => {
          await tx.query('INSERT INTO tx_rollback VALUES (3)');
          await tx.query('INSERT INTO tx_rollback VALUES (3)');
        }),
        (err: { code?: string }) => err.code === '23505',
      );
      assert.deepEqual((await sql.query('SELECT count(*) AS n FROM tx_rollback')).rows, [{ n: 0 }]);
      // the connection is usable afterwards, outside and inside transactions
      await sql.transaction((tx) => tx.query('INSERT INTO tx_rollback VALUES (4)'));
      assert.deepEqual((await sql.query('SELECT id FROM tx_rollback')).rows, [{ id: 4 }]);
    });

    test('a query made outside a running transaction never becomes part of it', async () => {
      await sql.query('CREATE TABLE tx_isolation (who text)');
      const held = gate();
      const entered = gate();
      const tx = sql.transaction(async (t) => {
        await t.query("INSERT INTO tx_isolation VALUES ('inside')");
        entered.release();
        await held.wait;
        throw new Error('roll back');
      });
      await entered.wait;
      const outside = sql.query("INSERT INTO tx_isolation VALUES ('outside')");
      held.release();
      await assert.rejects(tx, /roll back/);
      await outside;
      assert.deepEqual((await sql.query('SELECT who FROM tx_isolation')).rows, [{ who: 'outside' }]);
    });

    test('concurrent transactions do not lose updates', async () => {
      await sql.query('CREATE TABLE tx_counter (id int PRIMARY KEY, n int NOT NULL)');
      await sql.query('INSERT INTO tx_counter VALUES (1, 0)');
      await Promise.all(
        Array.from({ length: 20 }, () =>
          sql.transaction(async (tx) => {
            const { rows } = await tx.query<{ n: number }>('SELECT n FROM tx_counter WHERE id = 1 FOR UPDATE');
            await tx.query('UPDATE tx_counter SET n = $1 WHERE id = 1', [rows[0].n + 1]);
          }),
        ),
      );
      assert.deepEqual((await sql.query('SELECT n FROM tx_counter')).rows, [{ n: 20 }]);
    });

    test('exec runs a multi-statement script inside a transaction', async () => {
      await sql.transaction((tx) =>
        tx.exec('CREATE TABLE script_t (id int); INSERT INTO script_t VALUES (1); INSERT INTO script_t VALUES (2);'),
      );
      assert.deepEqual((await sql.query('SELECT count(*) AS n FROM script_t')).rows, [{ n: 2 }]);
    });

    test('ping is true while open; after close ping is false and queries fail with STORE_CLOSED', async () => {
      assert.equal(await sql.ping(), true);
      const other = await open();
      await other.sql.close();
      assert.equal(await other.sql.ping(), false);
      await assert.rejects(other.sql.query('SELECT 1'), (err) => isStoreError(err, 'STORE_CLOSED'));
      await assert.rejects(
        other.sql.transaction(async () => 1),
        (err) => isStoreError(err, 'STORE_CLOSED'),
      );
      await other.sql.close();
      await other.dispose();
    });
  });
}
