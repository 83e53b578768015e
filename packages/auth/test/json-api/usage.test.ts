// Usage per day from usage_daily, as written by the store's batched UsageRecorder (the gateway's writer),
// and last_used_at as written by ApiKeyLastUsedRecorder.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiKeyLastUsedRecorder, UsageRecorder } from '@edgepass/store';
import { apiKeyView, issuedKeyView, usageReportView } from '../../src/api/schemas.ts';
import { expectProblem, type Harness, parseAs, startHarness, userWithToken } from './harness.ts';

const DAY0 = new Date('2030-01-13T23:59:59Z');
const DAY1 = new Date('2030-01-14T00:00:00Z');
const DAY2 = new Date('2030-01-15T18:30:00Z');

describe('usage', () => {
  let h: Harness;
  let admin: string;
  let user: { id: string; token: string };
  let other: { id: string; token: string };
  let k1: string;
  let k2: string;
  let k3: string;

  before(async () => {
    h = await startHarness();
    admin = await h.token({ sub: 'cli_admin', roles: ['admin'] });
    user = await userWithToken(h, 'api_keys:manage usage:read', { email: 'usage.owner@example.com' });
    other = await userWithToken(h);
    const create = async (token: string) =>
      parseAs(await h.request('POST', '/api/keys', { token, body: {} }), 201, issuedKeyView).apiKey.id;
    k1 = await create(user.token);
    k2 = await create(user.token);
    k3 = await create(other.token);
    assert.equal((await h.request('DELETE', `/api/keys/${k2}`, { token: user.token })).status, 200);

    const recorder = new UsageRecorder({ sql: h.store.sql, flushIntervalMs: 0 });
    const hits: [string, string, Date, number][] = [
      [`user:${user.id}`, 'vocabulary', DAY1, 3],
      [`user:${user.id}`, 'users', DAY1, 1],
      [`key:${k1}`, 'vocabulary', DAY1, 2],
      [`key:${k1}`, 'vocabulary', DAY2, 5],
      [`key:${k2}`, 'users', DAY2, 1],
      [`key:${k3}`, 'vocabulary', DAY1, 7],
      [`user:${other.id}`, 'vocabulary', DAY1, 4],
      [`user:${user.id}`, 'vocabulary', DAY0, 9],
    ];
    for (const [principal, service, at, n] of hits) {
      for (let i = 0; i < n; i++) recorder.record(principal, service, at);
    }
    await recorder.flush();
    // a second batch adds to the same rows
    recorder.record(`key:${k1}`, 'vocabulary', DAY2);
    await recorder.close();
  });
  after(async () => {
    await h.close();
  });

  /** the caller's report for 2030-01-14..15: both keys (one revoked) and the user principal, sorted by principal */
  const expectedMine = () => ({
    from: '2030-01-14',
    to: '2030-01-15',
    total: 13,
    principals: [
      {
        principal: `key:${k1}`,
        kind: 'key',
        id: k1,
        total: 8,
        days: [
          { day: '2030-01-14', total: 2, services: { vocabulary: 2 } },
          { day: '2030-01-15', total: 6, services: { vocabulary: 6 } },
        ],
      },
      {
        principal: `key:${k2}`,
        kind: 'key',
        id: k2,
        total: 1,
        days: [{ day: '2030-01-15', total: 1, services: { users: 1 } }],
      },
      {
        principal: `user:${user.id}`,
        kind: 'user',
        id: user.id,
        total: 4,
        days: [{ day: '2030-01-14', total: 4, services: { users: 1, vocabulary: 3 } }],
      },
    ].sort((a, b) => (a.principal < b.principal ? -1 : 1)),
  });

  test("GET /api/usage aggregates the caller's user principal and each of their keys, per day", async () => {
    const report = parseAs(
      await h.request('GET', '/api/usage?from=2030-01-14&to=2030-01-15', { token: user.token }),
      200,
      usageReportView,
    );
    assert.deepEqual(report, expectedMine());
  });

  test('?key= narrows to one of the caller’s keys; another user’s key → 404', async () => {
    const one = parseAs(
      await h.request('GET', `/api/usage?from=2030-01-15&to=2030-01-15&key=${k1}`, { token: user.token }),
      200,
      usageReportView,
    );
    assert.deepEqual(one, {
      from: '2030-01-15',
      to: '2030-01-15',
      total: 6,
      principals: [
        {
          principal: `key:${k1}`,
          kind: 'key',
          id: k1,
          total: 6,
          days: [{ day: '2030-01-15', total: 6, services: { vocabulary: 6 } }],
        },
      ],
    });
    expectProblem(
      await h.request('GET', `/api/usage?from=2030-01-14&to=2030-01-15&key=${k3}`, { token: user.token }),
      404,
      'API_NOT_FOUND',
    );
    const empty = parseAs(
      await h.request('GET', '/api/usage?from=2029-01-01&to=2029-12-31', { token: user.token }),
      200,
      usageReportView,
    );
    assert.deepEqual(empty, { from: '2029-01-01', to: '2029-12-31', total: 0, principals: [] });
  });

  test('admin usage for a user (by id or email) or for any key; exactly one of user and key', async () => {
    const byId = parseAs(
      await h.request('GET', `/admin/api/usage?user=${user.id}&from=2030-01-14&to=2030-01-15`, { token: admin }),
      200,
      usageReportView,
    );
    assert.deepEqual(byId, expectedMine());
    const byEmail = parseAs(
      await h.request('GET', '/admin/api/usage?user=Usage.Owner%40example.com&from=2030-01-14&to=2030-01-15', {
        token: admin,
      }),
      200,
      usageReportView,
    );
    assert.deepEqual(byEmail, expectedMine());
    const key = parseAs(
      await h.request('GET', `/admin/api/usage?key=${k3}&from=2030-01-14&to=2030-01-15`, { token: admin }),
      200,
      usageReportView,
    );
    assert.equal(key.total, 7);
    assert.deepEqual(
      key.principals.map((p) => p.principal),
      [`key:${k3}`],
    );
    for (const q of ['', `&user=${user.id}&key=${k1}`]) {
      expectProblem(
        await h.request('GET', `/admin/api/usage?from=2030-01-14&to=2030-01-15${q}`, { token: admin }),
        400,
        'API_VALIDATION_FAILED',
      );
    }
    expectProblem(
      await h.request('GET', '/admin/api/usage?user=usr_nobody&from=2030-01-14&to=2030-01-15', { token: admin }),
      404,
      'API_NOT_FOUND',
    );
    expectProblem(
      await h.request('GET', '/admin/api/usage?key=key_CCCCCCCCCCCCCCCCCCCCCC&from=2030-01-14&to=2030-01-15', {
        token: admin,
      }),
      404,
      'API_NOT_FOUND',
    );
  });

  test('last_used_at written in batches by the gateway shows in the key record', async () => {
    const touched = new ApiKeyLastUsedRecorder({ sql: h.store.sql, flushIntervalMs: 0 });
    touched.touch(k1, DAY1);
    touched.touch(k1, DAY2);
    await touched.close();
    const record = parseAs(await h.request('GET', `/api/keys/${k1}`, { token: user.token }), 200, apiKeyView);
    assert.equal(record.lastUsedAt, DAY2.toISOString());
  });
});
