// Versioned SQL migrations (src/migrations/NNN_name.sql), applied in order, each in its own transaction,
// recorded in edgepass_migrations. Every transaction first takes a transaction-scoped advisory lock, so
// any number of processes may migrate one server at once: exactly one applies each file.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StoreError } from './errors.ts';
import type { ScriptExecutor, SqlDriver } from './sql/driver.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** SHA-256 (hex) of the file with line endings normalised to \n. */
  checksum: string;
}

export interface MigrationRecord {
  version: number;
  name: string;
  checksum: string;
  applied_at: Date;
}

const FILE = /^(\d{3})_([a-z0-9_]+)\.sql$/;
/** pg_advisory_xact_lock key: 'edgepass' in ASCII, shared by every migrator. */
const LOCK_KEY = 0x65646765;

export const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url));

export function checksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** Reads NNN_name.sql files from dir, sorted by version. Other files are ignored; duplicate versions are an error. */
export function loadMigrations(dir = migrationsDir): Migration[] {
  const migrations = readdirSync(dir)
    .map((file) => FILE.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([file, version, name]) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return { version: Number(version), name, sql, checksum: checksum(sql) };
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version === migrations[i - 1].version) {
      throw new StoreError('MIGRATION_FAILED', `two migrations have version ${migrations[i].version}`);
    }
  }
  return migrations;
}

const label = (m: { version: number; name: string }) => `${String(m.version).padStart(3, '0')}_${m.name}`;

async function lockedState(tx: ScriptExecutor): Promise<MigrationRecord[]> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
  await tx.exec(`CREATE TABLE IF NOT EXISTS edgepass_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await tx.query<MigrationRecord>(
    'SELECT version, name, checksum, applied_at FROM edgepass_migrations ORDER BY version',
  );
  return rows;
}

function verify(applied: readonly MigrationRecord[], known: readonly Migration[]): void {
  const byVersion = new Map(known.map((m) => [m.version, m]));
  for (const row of applied) {
    const m = byVersion.get(row.version);
    if (m && m.checksum !== row.checksum) {
      throw new StoreError(
        'MIGRATION_CHECKSUM_MISMATCH',
        `migration ${label(m)} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ${m.checksum.slice(0, 12)}… on disk); add a new migration instead`,
      );
    }
  }
}

/**
 * Applies every pending migration; returns the versions this call applied (empty when up to date).
 * Throws MIGRATION_CHECKSUM_MISMATCH when an applied file changed, MIGRATION_FAILED when one fails
 * (that migration is rolled back; earlier ones stay applied).
 */
export async function migrate(sql: SqlDriver, migrations: readonly Migration[] = loadMigrations()): Promise<number[]> {
  const applied: number[] = [];
  for (;;) {
    const next = await sql.transaction(async (tx) => {
      const done = await lockedState(tx);
      verify(done, migrations);
      const doneVersions = new Set(done.map((r) => r.version));
      const pending = migrations.find((m) => !doneVersions.has(m.version));
      if (!pending) return undefined;
      try {
        await tx.exec(pending.sql);
      } catch (err) {
        throw new StoreError('MIGRATION_FAILED', `migration ${label(pending)} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      await tx.query('INSERT INTO edgepass_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        pending.version,
        pending.name,
        pending.checksum,
      ]);
      return pending.version;
    });
    if (next === undefined) return applied;
    applied.push(next);
  }
}

/** The migrations recorded as applied, oldest first. */
export async function appliedMigrations(sql: SqlDriver): Promise<MigrationRecord[]> {
  return await sql.transaction(lockedState);
}
