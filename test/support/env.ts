// Per-test access to the real PostgreSQL and Redis servers that scripts/test.ts starts for the run.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the tests through "npm test" (scripts/test.ts starts PostgreSQL and Redis)`,
    );
  }
  return value;
}

/** URL of the run's PostgreSQL server (its maintenance database). */
export function testPostgresUrl(): string {
  return required('EDGEPASS_TEST_DATABASE_URL');
}

/** URL of the run's redis-server. Give every test its own key prefix (see uniquePrefix). */
export function testRedisUrl(): string {
  return required('EDGEPASS_TEST_REDIS_URL');
}

export function uniquePrefix(label = 't'): string {
  return `${label}-${randomBytes(6).toString('hex')}:`;
}

/** A fresh, empty database on the run's PostgreSQL server; drop() removes it. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = new URL(testPostgresUrl());
  const name = `edgepass_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base.toString() });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
