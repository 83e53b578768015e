import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openStore, type SqlExecutor, type Store, UsageRecorder } from '@edgepass/store';
import { type LastUsedSink, PacedLastUsed, PacedUsage } from './paced-writer.ts';

const T = Date.UTC(2026, 3, 30, 23, 59, 59, 999); // the last millisecond of a UTC day

let store: Store;
before(async () => {
  store = await openStore({ dataDir: 'memory://' });
});
after(() => store?.close());

/** The store's SQL, with every statement counted: its rows, and the event-loop turn it ran in. */
function observedSql(options: { failAt?: number } = {}) {
  const statements: Array<{ rows: number; turn: number }> = [];
  let turn = 0;
  let ticking = true;
  const tick = () => {
    turn++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const sql: SqlExecutor = {
    async query(text, params) {
      statements.push({ rows: (params?.length ?? 0) / 4, turn });
      if (statements.length === options.failAt) throw new Error('connection lost');
      return await store.sql.query(text, params);
    },
  };
  return { sql, statements, stop: () => (ticking = false) };
}

async function usageOf(principalPrefix: string): Promise<Map<string, number>> {
  const { rows } = await store.sql.query<{ principal: string; day: string; count: string | number }>(
    `SELECT principal, to_char(day, 'YYYY-MM-DD') AS day, count FROM usage_daily WHERE principal LIKE $1`,
    [`${principalPrefix}%`],
  );
  return new Map(rows.map((r) => [`${r.principal} ${r.day}`, Number(r.count)]));
}

describe('usage written in bounded chunks', () => {
  test('2 000 principals: 8 statements of 250 rows, each in its own event-loop turn; counts per UTC day', async () => {
    const observed = observedSql();
    const usage = new PacedUsage(new UsageRecorder({ sql: observed.sql, flushIntervalMs: 0 }), {
      chunkRows: 250,
      intervalMs: 0,
      onError: () => {},
    });
    for (let i = 0; i < 1999; i++) usage.record(`user:chunk-${i}`, 'svc', T);
    usage.record('user:chunk-0', 'svc', T - 1000);
    usage.record('user:chunk-0', 'svc', T + 1); // the next UTC day: a row of its own
    assert.equal(observed.statements.length, 0, 'nothing is written per request');
    assert.equal(usage.pending, 2000);
    await usage.flush();
    observed.stop();
    assert.deepEqual(
      observed.statements.map((s) => s.rows),
      [250, 250, 250, 250, 250, 250, 250, 250],
    );
    for (let i = 1; i < observed.statements.length; i++) {
      const [previous, current] = [observed.statements[i - 1], observed.statements[i]];
      assert.ok((current?.turn ?? 0) > (previous?.turn ?? 0), `the event loop turned before statement ${i + 1}`);
    }
    assert.equal(usage.pending, 0);
    const counts = await usageOf('user:chunk-');
    assert.equal(counts.size, 2000);
    assert.equal(counts.get('user:chunk-0 2026-04-30'), 2);
    assert.equal(counts.get('user:chunk-0 2026-05-01'), 1);
    assert.equal(counts.get('user:chunk-1998 2026-04-30'), 1);
    await usage.close();
  });

  test('a chunk that fails is kept, with everything not yet written: the next flush writes each count once', async () => {
    const observed = observedSql({ failAt: 2 });
    const errors: unknown[] = [];
    const usage = new PacedUsage(new UsageRecorder({ sql: observed.sql, flushIntervalMs: 0 }), {
      chunkRows: 100,
      intervalMs: 0,
      onError: (err) => errors.push(err),
    });
    for (let i = 0; i < 450; i++) usage.record(`user:retry-${i}`, 'svc', T);
    await assert.rejects(usage.flush(), /connection lost/);
    assert.equal(usage.pending, 350, 'the failed chunk and the three not handed yet');
    usage.record('user:retry-449', 'svc', T); // arrives meanwhile
    await usage.flush();
    observed.stop();
    assert.deepEqual(
      observed.statements.map((s) => s.rows),
      [100, 100, 100, 100, 100, 50],
      'the failed chunk alone first, then the rest in chunks',
    );
    const counts = await usageOf('user:retry-');
    assert.equal(counts.size, 450);
    assert.equal(
      [...counts.values()].reduce((a, n) => a + n, 0),
      451,
    );
    assert.equal(counts.get('user:retry-449 2026-04-30'), 2);
    await usage.close();
    assert.deepEqual(errors, []);
  });
});

describe('API-key last use', () => {
  test('the latest use of each key, handed in chunks; close writes the rest', async () => {
    const flushes: Array<Map<string, number>> = [];
    let holding = new Map<string, number>();
    const sink: LastUsedSink = {
      get pending() {
        return holding.size;
      },
      touch(id, at) {
        holding.set(id, at.getTime());
      },
      async flush() {
        flushes.push(holding);
        holding = new Map();
      },
      async close() {},
    };
    const lastUsed = new PacedLastUsed(sink, { chunkRows: 2, intervalMs: 0, onError: () => {} });
    lastUsed.touch('key_a', T);
    lastUsed.touch('key_a', T - 5000); // an older use never moves it back
    lastUsed.touch('key_b', T + 10);
    lastUsed.touch('key_c', T + 20);
    await lastUsed.close();
    assert.deepEqual(
      flushes.map((f) => Object.fromEntries(f)),
      [{ key_a: T, key_b: T + 10 }, { key_c: T + 20 }],
    );
  });
});
