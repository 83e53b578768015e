import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  appliedMigrations,
  isStoreError,
  loadMigrations,
  type Migration,
  migrate,
  openPgSql,
  type SqlDriver,
} from '@edgepass/store';
import { createTestDatabase } from '../../../test/support/env.ts';
import { sqlBackends } from './sql-backends.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Writes files into a fresh directory and loads the migrations from it. */
function migrationsFrom(files: Record<string, string>): Migration[] {
  const dir = mkdtempSync(join(tmpdir(), 'edgepass-migrations-'));
  dirs.push(dir);
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return loadMigrations(dir);
}

const base = {
  '001_first.sql': 'CREATE TABLE first_t (id int PRIMARY KEY);',
  '002_second.sql': 'CREATE TABLE second_t (id int); INSERT INTO second_t VALUES (1);',
};

async function tables(sql: SqlDriver): Promise<string[]> {
  const { rows } = await sql.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
  );
  return rows.map((r) => r.name);
}

test('loadMigrations reads NNN_name.sql in version order and ignores other files', () => {
  const loaded = migrationsFrom({
    '010_later.sql': 'SELECT 1;',
    '002_b.sql': 'SELECT 2;\r\n',
    'README.md': '# not a migration',
    '3_bad_name.sql': 'SELECT 3;',
  });
  assert.deepEqual(
    loaded.map((m) => [m.version, m.name]),
    [
      [2, 'b'],
      [10, 'later'],
    ],
  );
  assert.match(loaded[0].checksum, /^[0-9a-f]{64}$/);
  // line endings do not change the checksum
  assert.equal(loaded[0].checksum, migrationsFrom({ '002_b.sql': 'SELECT 2;\n' })[0].checksum);
  assert.throws(
    () => migrationsFrom({ '001_a.sql': 'SELECT 1;', '001_b.sql': 'SELECT 1;' }),
    (err) => isStoreError(err, 'MIGRATION_FAILED') && /version 1/.test(err.message),
  );
});

test("the package's own migrations are numbered from 001 without gaps", () => {
  const own = loadMigrations();
  assert.ok(own.length >= 1);
  assert.deepEqual(
    own.map((m) => m.version),
    own.map((_, i) => i + 1),
  );
  assert.equal(own[0].name, 'initial');
});

for (const [name, open] of sqlBackends) {
  describe(`migrations on ${name}`, () => {
    test('apply in order once, record version/name/checksum/applied_at, and are idempotent', async () => {
      const { sql, dispose } = await open();
      try {
        const migrations = migrationsFrom(base);
        assert.deepEqual(await migrate(sql, migrations), [1, 2]);
        assert.deepEqual(await migrate(sql, migrations), []);
        const records = await appliedMigrations(sql);
        assert.deepEqual(
          records.map((r) => [r.version, r.name, r.checksum]),
          migrations.map((m) => [m.version, m.name, m.checksum]),
        );
        assert.ok(records.every((r) => r.applied_at instanceof Date));
        assert.deepEqual((await sql.query('SELECT id FROM second_t')).rows, [{ id: 1 }]);

        // a new file is applied on the next run, the old ones are not re-run
        const more = migrationsFrom({ ...base, '003_third.sql': 'INSERT INTO second_t VALUES (3);' });
        assert.deepEqual(await migrate(sql, more), [3]);
        assert.deepEqual((await sql.query('SELECT id FROM second_t ORDER BY id')).rows, [{ id: 1 }, { id: 3 }]);
      } finally {
        await dispose();
      }
    });

    test('the package migrations create the schema other packages use', async () => {
      const { sql, dispose } = await open();
      try {
        await migrate(sql);
        assert.deepEqual(
          (await tables(sql)).filter((t) => t !== 'edgepass_migrations'),
          [
            'api_keys',
            'external_identities',
            'oauth_clients',
            'oidc_models',
            'sessions',
            'signing_keys',
            'usage_daily',
            'users',
          ],
        );
        assert.deepEqual(await migrate(sql), []);
      } finally {
        await dispose();
      }
    });

    test('an applied migration whose file changed stops migrating with MIGRATION_CHECKSUM_MISMATCH', async () => {
      const { sql, dispose } = await open();
      try {
        await migrate(sql, migrationsFrom(base));
        const edited = migrationsFrom({
          ...base,
          '001_first.sql': 'CREATE TABLE first_t (id int PRIMARY KEY, extra text);',
          '003_third.sql': 'CREATE TABLE third_t (id int);',
        });
        await assert.rejects(
          migrate(sql, edited),
          (err) =>
            isStoreError(err, 'MIGRATION_CHECKSUM_MISMATCH') && /001_first/.test(err.message) && err.status === 500,
        );
        assert.equal((await tables(sql)).includes('third_t'), false, 'nothing after the mismatch ran');
      } finally {
        await dispose();
      }
    });

    test('a failing migration is rolled back entirely, reported as MIGRATION_FAILED, and retried next time', async () => {
      const { sql, dispose } = await open();
      try {
        const broken = migrationsFrom({
          ...base,
          '003_broken.sql': 'CREATE TABLE half_t (id int); INSERT INTO no_such_table VALUES (1);',
        });
        const err = await migrate(sql, broken).catch((e: unknown) => e);
        assert.ok(isStoreError(err, 'MIGRATION_FAILED'));
        assert.match(err.message, /003_broken/);
        assert.equal((err.cause as { code?: string }).code, '42P01');
        assert.deepEqual(
          (await appliedMigrations(sql)).map((r) => r.version),
          [1, 2],
        );
        assert.equal((await tables(sql)).includes('half_t'), false);

        const fixed = migrationsFrom({ ...base, '003_broken.sql': 'CREATE TABLE half_t (id int);' });
        assert.deepEqual(await migrate(sql, fixed), [3]);
      } finally {
        await dispose();
      }
    });

    test('concurrent migrate calls on one connection apply each migration exactly once', async () => {
      const { sql, dispose } = await open();
      try {
        const migrations = migrationsFrom(base);
        const results = await Promise.all(Array.from({ length: 4 }, () => migrate(sql, migrations)));
        assert.deepEqual(results.flat().sort(), [1, 2]);
        assert.equal((await appliedMigrations(sql)).length, 2);
      } finally {
        await dispose();
      }
    });
  });
}

test('several processes migrating one PostgreSQL server at once: each migration applied exactly once', async () => {
  const db = await createTestDatabase();
  // each "process" has its own pool, as separate gateway/auth instances would
  const instances = Array.from({ length: 6 }, () => openPgSql({ url: db.url, max: 2 }));
  try {
    // the package's schema plus more steps, each of which fails if run twice (CREATE TABLE without IF NOT EXISTS)
    const migrations = [
      ...loadMigrations(),
      ...migrationsFrom(
        Object.fromEntries(
          [901, 902, 903, 904].map((v) => [
            `${v}_extra.sql`,
            `CREATE TABLE extra_${v} (id int); INSERT INTO extra_${v} VALUES (${v});`,
          ]),
        ),
      ),
    ];
    const results = await Promise.all(instances.map((sql) => migrate(sql, migrations)));
    const all = migrations.map((m) => m.version);
    assert.deepEqual(results.flat().sort(), all);
    const [first] = instances;
    assert.deepEqual(
      (await appliedMigrations(first)).map((r) => r.version),
      all,
    );
    // and the migrated schema works from every instance
    await Promise.all(
      instances.map((sql, i) => sql.query('INSERT INTO users (id, email) VALUES ($1, $2)', [`usr_${i}`, `${i}@x`])),
    );
    assert.deepEqual((await first.query('SELECT count(*) AS n FROM users')).rows, [{ n: instances.length }]);
  } finally {
    await Promise.all(instances.map((sql) => sql.close()));
    await db.drop();
  }
});
