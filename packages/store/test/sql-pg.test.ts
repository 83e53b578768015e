// PostgreSQL-server specifics: unavailability, secrets in URLs, openStore in server mode.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { isStoreError, isStoreUnavailable, openPgSql, openStore } from '@edgepass/store';
import { createTestDatabase, testRedisUrl, uniquePrefix } from '../../../test/support/env.ts';
import { freePort, startPostgres } from '../../../test/support/servers.ts';
import { waitFor } from '../../../test/support/wait.ts';

test('an unreachable server: queries reject with STORE_UNAVAILABLE, the password never appears', async () => {
  const port = await freePort();
  const sql = openPgSql({ url: `postgres://app:hunter2@127.0.0.1:${port}/edgepass`, connectionTimeoutMs: 1000 });
  try {
    const started = Date.now();
    const err = await sql.query('SELECT 1').catch((e: unknown) => e);
    assert.ok(isStoreUnavailable(err), inspect(err));
    assert.ok(Date.now() - started < 2000);
    assert.match(err.message, new RegExp(`postgres://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}/edgepass`));
    assert.equal(inspect(err, { depth: 10 }).includes('hunter2'), false);
    const txErr = await sql.transaction(async () => 1).catch((e: unknown) => e);
    assert.ok(isStoreUnavailable(txErr));
    assert.equal(await sql.ping(), false);
    assert.equal(inspect(sql, { depth: 10 }).includes('hunter2'), false, 'the handle does not expose the URL');
  } finally {
    await sql.close();
  }
});

test('a malformed DATABASE_URL is STORE_CONFIG_INVALID without echoing it', async () => {
  for (const url of ['postgres://app:hunter2@[bad', 'mysql://app:hunter2@db/x']) {
    assert.throws(
      () => openPgSql({ url }),
      (err) => isStoreError(err, 'STORE_CONFIG_INVALID') && !inspect(err, { depth: 10 }).includes('hunter2'),
    );
  }
  await assert.rejects(openStore({ databaseUrl: 'postgres://app:hunter2@[bad' }), (err) =>
    isStoreError(err, 'STORE_CONFIG_INVALID'),
  );
});

test('a server that goes away: in-flight pools report it, queries fail with STORE_UNAVAILABLE', async () => {
  const server = await startPostgres();
  const poolErrors: Error[] = [];
  const sql = openPgSql({ url: server.url, onError: (e) => poolErrors.push(e) });
  try {
    assert.deepEqual((await sql.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
    await server.stop();
    await waitFor(() => poolErrors.length > 0, { what: 'the pool reporting the dropped idle connection' });
    const err = await sql.query('SELECT 1').catch((e: unknown) => e);
    assert.ok(isStoreUnavailable(err), inspect(err));
    assert.equal(await sql.ping(), false);
  } finally {
    await sql.close();
  }
});

test('openStore with DATABASE_URL and REDIS_URL: server SQL migrated, Redis fast state under the prefix', async () => {
  const db = await createTestDatabase();
  const keyPrefix = uniquePrefix('store');
  const store = await openStore({ databaseUrl: db.url, redisUrl: testRedisUrl(), keyPrefix });
  try {
    assert.equal(store.sql.kind, 'postgres');
    assert.equal(store.fast.kind, 'redis');
    const { rows } = await store.sql.query<{ version: number }>('SELECT version FROM edgepass_migrations');
    assert.deepEqual(
      rows.map((r) => r.version),
      [1],
    );
    await store.fast.kv.set('x', '1');
    assert.equal(await store.fast.kv.get('x'), '1');
    // migrate: false leaves a fresh database alone
    const empty = await createTestDatabase();
    const bare = await openStore({ databaseUrl: empty.url, migrate: false });
    await assert.rejects(bare.sql.query('SELECT 1 FROM users'), (e: { code?: string }) => e.code === '42P01');
    await bare.close();
    await empty.drop();
  } finally {
    await store.close();
    await store.close();
    await db.drop();
  }
});

test('openStore fails cleanly when Redis is unreachable (the SQL side is closed again)', async () => {
  const db = await createTestDatabase();
  try {
    const err = await openStore({
      databaseUrl: db.url,
      redisUrl: `redis://127.0.0.1:${await freePort()}`,
      connectTimeoutMs: 300,
    }).catch((e: unknown) => e);
    assert.ok(isStoreUnavailable(err));
  } finally {
    // DROP DATABASE ... WITH (FORCE) would hide a leaked connection: check there is none first
    const probe = openPgSql({ url: db.url });
    const others = async () =>
      (
        await probe.query<{ n: number }>(
          'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        )
      ).rows[0].n;
    // a closed connection's backend exits shortly after the client hangs up
    await waitFor(async () => (await others()) === 0, { what: 'no connection left open by openStore' });
    await probe.close();
    await db.drop();
  }
});
