import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isStoreError, openStore, storeOptionsFromEnv, unsharedFastStateWarning } from '@edgepass/store';

test('storeOptionsFromEnv reads the four variables and defaults the data directory to ./data', () => {
  assert.deepEqual(storeOptionsFromEnv({}), { dataDir: './data' });
  assert.deepEqual(
    storeOptionsFromEnv({
      DATABASE_URL: 'postgres://u:p@db/edgepass',
      EDGEPASS_DATA_DIR: '/var/lib/edgepass',
      REDIS_URL: 'redis://cache:6379',
      EDGEPASS_REDIS_PREFIX: 'ep-prod:',
    }),
    {
      databaseUrl: 'postgres://u:p@db/edgepass',
      dataDir: '/var/lib/edgepass',
      redisUrl: 'redis://cache:6379',
      keyPrefix: 'ep-prod:',
    },
  );
  assert.deepEqual(storeOptionsFromEnv({ DATABASE_URL: '  ', REDIS_URL: '' }), { dataDir: './data' });
});

test('unsharedFastStateWarning: only a PostgreSQL server with in-memory fast state gets a warning', () => {
  const warning = unsharedFastStateWarning({ sql: { kind: 'postgres' }, fast: { kind: 'memory' } });
  assert.match(warning ?? '', /^DATABASE_URL is set but REDIS_URL is not: .*kept in this process only/);
  assert.match(warning ?? '', /Set REDIS_URL to run more than one instance/);
  assert.equal(unsharedFastStateWarning({ sql: { kind: 'postgres' }, fast: { kind: 'redis' } }), undefined);
  assert.equal(unsharedFastStateWarning({ sql: { kind: 'pglite' }, fast: { kind: 'memory' } }), undefined);
  assert.equal(unsharedFastStateWarning({ sql: { kind: 'pglite' }, fast: { kind: 'redis' } }), undefined);
});

test('openStore on an embedded data directory migrates, persists across reopen and locks the directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgepass-store-'));
  try {
    const first = await openStore({ dataDir: dir });
    assert.equal(first.sql.kind, 'pglite');
    assert.equal(first.fast.kind, 'memory');
    await first.sql.query("INSERT INTO users (id, email) VALUES ('usr_1', 'a@example.com')");
    await assert.rejects(openStore({ dataDir: dir }), (err) => isStoreError(err, 'STORE_LOCKED'));
    await first.close();

    const second = await openStore({ dataDir: dir });
    const { rows } = await second.sql.query<{ email: string }>('SELECT email FROM users');
    assert.deepEqual(rows, [{ email: 'a@example.com' }]);
    const migrations = await second.sql.query<{ version: number }>('SELECT version FROM edgepass_migrations');
    assert.deepEqual(
      migrations.rows.map((r) => r.version),
      [1],
    );
    await second.close();
    assert.equal(await second.sql.ping(), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
