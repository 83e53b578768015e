// Backends failing under the API: PostgreSQL down → 503 problem+json (detail only in the log); Redis down
// while revoking → the revocation stands, the missed event is logged, and a retry republishes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startPostgres, startRedis } from '../../../../test/support/servers.ts';
import { apiKeyView, issuedKeyView } from '../../src/api/schemas.ts';
import { expectProblem, type Harness, parseAs, startHarness, userWithToken } from './harness.ts';

describe('backend outages', () => {
  test('PostgreSQL down → 503 API_UNAVAILABLE with a generic body; the cause is logged', async () => {
    const pg = await startPostgres();
    let h: Harness | undefined;
    try {
      h = await startHarness({ databaseUrl: pg.url });
      const u = await userWithToken(h);
      await pg.stop();
      const res = await h.request('GET', '/api/keys', { token: u.token });
      const problem = expectProblem(res, 503, 'API_UNAVAILABLE');
      assert.equal(problem.title, 'The service is temporarily unavailable.');
      assert.ok(!res.text.includes('127.0.0.1') && !res.text.includes('ECONNREFUSED'));
      assert.match(h.logs.join(''), /"reason":"store_unavailable","errorCode":"API_UNAVAILABLE"/);
    } finally {
      await h?.close().catch(() => {});
      await pg.stop().catch(() => {});
    }
  });

  describe('Redis down while revoking', () => {
    let h: Harness;
    let redis: Awaited<ReturnType<typeof startRedis>>;
    before(async () => {
      redis = await startRedis();
      h = await startHarness({ redisUrl: redis.url });
    });
    after(async () => {
      await h.close().catch(() => {});
      await redis.stop();
    });

    /** Retries the (idempotent) revoke until its event arrives, as an operator would; false after the deadline. */
    async function revokeUntilPublished(token: string, id: string, deadlineMs: number): Promise<boolean> {
      const mark = h.events.length;
      const deadline = Date.now() + deadlineMs;
      while (Date.now() < deadline) {
        assert.equal((await h.request('DELETE', `/api/keys/${id}`, { token })).status, 200);
        if (h.events.slice(mark).some((e) => e.type === 'api_key.changed' && e.id === id)) return true;
        await delay(50);
      }
      return false;
    }

    test('the key is revoked anyway, the failed publish is logged, a retry republishes once Redis is back', async () => {
      const u = await userWithToken(h);
      const created = parseAs(await h.request('POST', '/api/keys', { token: u.token, body: {} }), 201, issuedKeyView);
      await redis.stop();
      const revoked = parseAs(
        await h.request('DELETE', `/api/keys/${created.apiKey.id}`, { token: u.token }),
        200,
        apiKeyView,
      );
      assert.equal(revoked.status, 'revoked');
      assert.match(h.logs.join(''), /"reason":"event_publish_failed","event":"api_key.changed"/);
      const { rows } = await h.store.sql.query<{ revoked_at: Date | null }>(
        'SELECT revoked_at FROM api_keys WHERE id = $1',
        [created.apiKey.id],
      );
      assert.ok(rows[0]?.revoked_at);

      redis = await startRedis({ port: redis.port });
      assert.ok(await revokeUntilPublished(u.token, created.apiKey.id, 10_000), 'republished after Redis returned');
      const again = parseAs(
        await h.request('GET', `/api/keys/${created.apiKey.id}`, { token: u.token }),
        200,
        apiKeyView,
      );
      assert.equal(again.revokedAt, revoked.revokedAt);
    });
  });
});
