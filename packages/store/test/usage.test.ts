import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ApiKeyLastUsedRecorder,
  isStoreError,
  migrate,
  queryUsage,
  type SqlDriver,
  type SqlExecutor,
  UsageRecorder,
} from '@edgepass/store';
import { waitFor } from '../../../test/support/wait.ts';
import { sqlBackends } from './sql-backends.ts';

/** Wraps an executor: counts statements and can be told to fail the next ones. */
function instrumented(inner: SqlExecutor) {
  const state = { statements: [] as string[], failNext: 0, failStatementNo: 0 };
  const sql: SqlExecutor = {
    async query(text, params) {
      state.statements.push(text.trim().split(/\s+/)[0]);
      if (state.statements.length === state.failStatementNo) throw new Error('statement failed');
      if (state.failNext > 0) {
        state.failNext--;
        throw new Error('database went away');
      }
      return await inner.query(text, params);
    },
  };
  return { sql, state };
}

for (const [name, open] of sqlBackends) {
  describe(`usage writers on ${name}`, () => {
    let sql: SqlDriver;
    let dispose: () => Promise<void>;
    before(async () => {
      ({ sql, dispose } = await open());
      await migrate(sql);
    });
    after(() => dispose());

    test('record counts in memory; one flush is one multi-row upsert per UTC day, added to what is stored', async () => {
      const { sql: counted, state } = instrumented(sql);
      const recorder = new UsageRecorder({ sql: counted, flushIntervalMs: 0 });
      const lateDay1 = new Date('2031-03-01T23:59:59.999Z');
      const earlyDay2 = new Date('2031-03-02T00:00:00.000Z');
      for (let i = 0; i < 5; i++) recorder.record('user:usr_a', 'vocabulary', lateDay1);
      recorder.record('user:usr_a', 'vocabulary', earlyDay2);
      recorder.record('user:usr_a', 'users', lateDay1);
      recorder.record('key:key_1', 'vocabulary', earlyDay2, 3);
      assert.equal(state.statements.length, 0, 'nothing is written before a flush');
      assert.equal(recorder.pending, 4);
      await recorder.flush();
      assert.deepEqual(state.statements, ['INSERT']);
      assert.equal(recorder.pending, 0);
      await recorder.flush();
      assert.equal(state.statements.length, 1, 'an empty flush writes nothing');

      recorder.record('user:usr_a', 'vocabulary', lateDay1, 2);
      await recorder.close();
      assert.deepEqual(await queryUsage(sql, { from: '2031-03-01', to: '2031-03-02' }), [
        { principal: 'user:usr_a', day: '2031-03-01', service: 'users', count: 1 },
        { principal: 'user:usr_a', day: '2031-03-01', service: 'vocabulary', count: 7 },
        { principal: 'key:key_1', day: '2031-03-02', service: 'vocabulary', count: 3 },
        { principal: 'user:usr_a', day: '2031-03-02', service: 'vocabulary', count: 1 },
      ]);
      assert.throws(
        () => recorder.record('user:usr_a', 'vocabulary'),
        (err) => isStoreError(err, 'STORE_CLOSED'),
      );
    });

    test('a failed flush keeps the counts for the next one; nothing is counted twice', async () => {
      const { sql: flaky, state } = instrumented(sql);
      const at = new Date('2031-04-01T12:00:00Z');
      const recorder = new UsageRecorder({ sql: flaky, flushIntervalMs: 0, now: () => at });
      recorder.record('user:usr_f', 'svc');
      recorder.record('user:usr_f', 'svc');
      state.failNext = 1;
      await assert.rejects(recorder.flush(), /database went away/);
      assert.equal(recorder.pending, 1);
      recorder.record('user:usr_f', 'svc');
      await recorder.flush();
      await recorder.flush();
      assert.deepEqual(await queryUsage(sql, { principal: 'user:usr_f', from: at, to: at }), [
        { principal: 'user:usr_f', day: '2031-04-01', service: 'svc', count: 3 },
      ]);
    });

    test('large batches are split into statements of at most 1000 rows; a failure re-queues only the unwritten rows', async () => {
      const { sql: flaky, state } = instrumented(sql);
      const recorder = new UsageRecorder({
        sql: flaky,
        flushIntervalMs: 0,
        now: () => new Date('2031-05-01T00:00:00Z'),
      });
      for (let i = 0; i < 2500; i++) recorder.record(`key:bulk_${i}`, 'svc');
      state.failStatementNo = 2;
      await assert.rejects(recorder.flush(), /statement failed/);
      assert.equal(state.statements.length, 2, 'the third statement is not attempted');
      assert.equal(recorder.pending, 1500);
      await recorder.flush();
      assert.deepEqual(state.statements, ['INSERT', 'INSERT', 'INSERT', 'INSERT']);
      const rows = await queryUsage(sql, { principalPrefix: 'key:bulk_', from: '2031-05-01', to: '2031-05-01' });
      assert.equal(rows.length, 2500);
      assert.ok(rows.every((r) => r.count === 1));
    });

    test('two recorders (two gateways) on one database add up; concurrent flushes do not double count', async () => {
      const at = new Date('2031-06-01T08:00:00Z');
      const gw1 = new UsageRecorder({ sql, flushIntervalMs: 0, now: () => at });
      const gw2 = new UsageRecorder({ sql, flushIntervalMs: 0, now: () => at });
      for (let i = 0; i < 10; i++) {
        gw1.record('user:usr_m', 'svc');
        gw2.record('user:usr_m', 'svc');
      }
      await Promise.all([gw1.flush(), gw1.flush(), gw2.flush(), gw1.close(), gw2.close()]);
      const [row] = await queryUsage(sql, { principal: 'user:usr_m', from: at, to: at });
      assert.equal(row.count, 20);
    });

    test('the timer flushes every flushIntervalMs', async (t) => {
      t.mock.timers.enable({ apis: ['setInterval'] });
      const at = new Date('2031-07-01T00:00:00Z');
      const errors: unknown[] = [];
      const recorder = new UsageRecorder({
        sql,
        flushIntervalMs: 5000,
        now: () => at,
        onFlushError: (e) => errors.push(e),
      });
      recorder.record('user:usr_t', 'svc');
      t.mock.timers.tick(4999);
      assert.equal(recorder.pending, 1);
      t.mock.timers.tick(1);
      await waitFor(async () => (await queryUsage(sql, { principal: 'user:usr_t', from: at, to: at })).length === 1, {
        what: 'the timed flush',
      });
      assert.equal(recorder.pending, 0);
      await recorder.close();
      assert.deepEqual(errors, []);
    });

    test('queryUsage filters by principal, prefix (wildcards literal), service and an inclusive day range', async () => {
      const recorder = new UsageRecorder({ sql, flushIntervalMs: 0 });
      recorder.record('user:q_1', 'a', new Date('2031-08-01T10:00:00Z'));
      recorder.record('user:q_1', 'b', new Date('2031-08-02T10:00:00Z'));
      recorder.record('user:qx1', 'a', new Date('2031-08-02T10:00:00Z'));
      recorder.record('key:q_1', 'a', new Date('2031-08-03T10:00:00Z'));
      await recorder.close();
      const range = { from: '2031-08-01', to: '2031-08-03' };
      const principals = async (q: Parameters<typeof queryUsage>[1]) =>
        (await queryUsage(sql, q)).map((r) => `${r.principal}/${r.day}/${r.service}`);
      assert.deepEqual(await principals({ ...range, principal: 'user:q_1' }), [
        'user:q_1/2031-08-01/a',
        'user:q_1/2031-08-02/b',
      ]);
      assert.deepEqual(await principals({ ...range, principalPrefix: 'user:q_' }), [
        'user:q_1/2031-08-01/a',
        'user:q_1/2031-08-02/b',
      ]);
      assert.deepEqual(await principals({ ...range, principalPrefix: 'key:' }), ['key:q_1/2031-08-03/a']);
      assert.deepEqual(await principals({ ...range, principalPrefix: 'user:q', service: 'a' }), [
        'user:q_1/2031-08-01/a',
        'user:qx1/2031-08-02/a',
      ]);
      assert.deepEqual(await principals({ from: '2031-08-02', to: '2031-08-02', principalPrefix: 'user:q' }), [
        'user:q_1/2031-08-02/b',
        'user:qx1/2031-08-02/a',
      ]);
      await assert.rejects(queryUsage(sql, { from: '2031-13-01', to: '2031-08-02' }), TypeError);
      await assert.rejects(queryUsage(sql, { from: "2031-08-01' OR 1=1 --", to: '2031-08-02' }), TypeError);
    });

    test('ApiKeyLastUsedRecorder keeps the latest use per key and writes all keys in one UPDATE, never moving back', async () => {
      await sql.query("INSERT INTO users (id, email) VALUES ('usr_k', 'k@example.com')");
      for (const id of ['key_a', 'key_b', 'key_c']) {
        await sql.query("INSERT INTO api_keys (id, owner_id, prefix, hash) VALUES ($1, 'usr_k', 'ep_live_x', $2)", [
          id,
          `hash-${id}`,
        ]);
      }
      const { sql: counted, state } = instrumented(sql);
      const t = (iso: string) => new Date(`2031-09-01T${iso}Z`);
      const recorder = new ApiKeyLastUsedRecorder({ sql: counted, flushIntervalMs: 0 });
      recorder.touch('key_a', t('10:00:00'));
      recorder.touch('key_a', t('09:00:00'));
      recorder.touch('key_a', t('11:00:00'));
      recorder.touch('key_b', t('08:00:00'));
      recorder.touch('key_unknown', t('08:00:00'));
      assert.equal(recorder.pending, 3);
      await recorder.flush();
      assert.deepEqual(state.statements, ['UPDATE']);

      recorder.touch('key_a', t('07:00:00')); // older than what is stored
      state.failNext = 1;
      recorder.touch('key_c', t('12:00:00'));
      await assert.rejects(recorder.flush());
      assert.equal(recorder.pending, 2);
      await recorder.close();
      const { rows } = await sql.query<{ id: string; last_used_at: Date | null }>(
        "SELECT id, last_used_at FROM api_keys WHERE owner_id = 'usr_k' ORDER BY id",
      );
      assert.deepEqual(rows, [
        { id: 'key_a', last_used_at: t('11:00:00') },
        { id: 'key_b', last_used_at: t('08:00:00') },
        { id: 'key_c', last_used_at: t('12:00:00') },
      ]);
      assert.throws(
        () => recorder.touch('key_a'),
        (err) => isStoreError(err, 'STORE_CLOSED'),
      );
    });
  });
}
