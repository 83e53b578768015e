import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createTestDatabase, testRedisUrl } from '../support/env.ts';

test('the run has a real PostgreSQL server', async () => {
  const db = await createTestDatabase();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const { rows } = await client.query('select version() as v');
  assert.match(rows[0].v, /PostgreSQL 1\d/);
  await client.end();
  await db.drop();
});

test('the run has a real redis-server', async () => {
  const redis = new Redis(testRedisUrl());
  assert.equal(await redis.ping(), 'PONG');
  redis.disconnect();
});
