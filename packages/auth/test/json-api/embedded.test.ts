// The embedded mode (PGlite in memory + in-memory fast state, as `edgepass dev` runs without DATABASE_URL
// and REDIS_URL): the same SQL and the same API behaviour, events through the in-process pub/sub.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { UsageRecorder } from '@edgepass/store';
import { apiKeyListView, issuedKeyView, profileView, rotatedKeyView, usageReportView } from '../../src/api/schemas.ts';
import { hashApiKey, verifyApiKey } from '../../src/apikeys/index.ts';
import { type Harness, parseAs, startHarness, userWithToken } from './harness.ts';

describe('JSON API on the embedded store', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ embedded: true });
    assert.equal(h.store.sql.kind, 'pglite');
    assert.equal(h.store.fast.kind, 'memory');
  });
  after(async () => {
    await h.close();
  });

  test('create, page, rotate, revoke, usage and plan work on PGlite with in-memory events', async () => {
    const u = await userWithToken(h);
    const admin = await h.token({ sub: 'cli_ops', roles: ['admin'] });
    const mark = h.events.length;
    const a = parseAs(
      await h.request('POST', '/api/keys', { token: u.token, body: { name: 'a' } }),
      201,
      issuedKeyView,
    );
    h.clock.advance(1);
    const b = parseAs(
      await h.request('POST', '/api/keys', { token: u.token, body: { name: 'b' } }),
      201,
      issuedKeyView,
    );
    const page1 = parseAs(await h.request('GET', '/api/keys?limit=1', { token: u.token }), 200, apiKeyListView);
    assert.deepEqual(
      page1.items.map((k) => k.id),
      [b.apiKey.id],
    );
    const page2 = parseAs(
      await h.request('GET', `/api/keys?limit=1&cursor=${page1.nextCursor}`, { token: u.token }),
      200,
      apiKeyListView,
    );
    assert.deepEqual(
      page2.items.map((k) => k.id),
      [a.apiKey.id],
    );

    const rotated = parseAs(
      await h.request('POST', `/api/keys/${a.apiKey.id}/rotate`, { token: u.token, body: { overlapSec: 60 } }),
      201,
      rotatedKeyView,
    );
    assert.equal((await verifyApiKey(h.store.sql, a.key, new Date(h.clock.now().getTime() + 59_000))).valid, true);
    assert.equal((await verifyApiKey(h.store.sql, a.key, new Date(h.clock.now().getTime() + 60_000))).valid, false);
    assert.equal((await h.request('DELETE', `/api/keys/${b.apiKey.id}`, { token: u.token })).status, 200);
    await h.waitForEvent(
      (e) => e.type === 'api_key.changed' && e.id === b.apiKey.id && e.hash === hashApiKey(b.key),
      mark,
    );
    await h.waitForEvent((e) => e.type === 'api_key.changed' && e.id === rotated.apiKey.id, mark);

    const recorder = new UsageRecorder({ sql: h.store.sql, flushIntervalMs: 0 });
    recorder.record(`key:${rotated.apiKey.id}`, 'vocabulary', new Date('2030-01-15T01:00:00Z'), 3);
    recorder.record(`user:${u.id}`, 'vocabulary', new Date('2030-01-15T02:00:00Z'));
    await recorder.close();
    const usage = parseAs(
      await h.request('GET', '/api/usage?from=2030-01-15&to=2030-01-15', { token: u.token }),
      200,
      usageReportView,
    );
    assert.equal(usage.total, 4);
    assert.deepEqual(
      usage.principals.map((p) => [p.principal, p.total]),
      [
        [`key:${rotated.apiKey.id}`, 3],
        [`user:${u.id}`, 1],
      ],
    );

    const profile = parseAs(
      await h.request('PUT', `/admin/api/users/${u.id}/plan`, { token: admin, body: { plan: 'premium' } }),
      200,
      profileView,
    );
    assert.equal(profile.plan, 'premium');
    await h.waitForEvent((e) => e.type === 'user.changed' && e.id === u.id, mark);
  });
});
