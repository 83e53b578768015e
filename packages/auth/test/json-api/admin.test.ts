// Admin API: keys of any user (any scope), plans (validated, published as user.changed).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiKeyListView, apiKeyView, issuedKeyView, profileView } from '../../src/api/schemas.ts';
import { hashApiKey } from '../../src/apikeys/index.ts';
import { expectProblem, type Harness, parseAs, startHarness, userWithToken } from './harness.ts';

describe('admin API', () => {
  let h: Harness;
  let admin: string;
  before(async () => {
    h = await startHarness();
    const id = await h.createUser({ roles: ['admin'] });
    admin = await h.token({ sub: id, roles: ['admin'] });
  });
  after(async () => {
    await h.close();
  });

  test('creates a key for any user with any scope and env; lists and revokes it', async () => {
    const owner = await userWithToken(h);
    const created = parseAs(
      await h.request('POST', '/admin/api/keys', {
        token: admin,
        body: { ownerId: owner.id, name: 'ops', scopes: ['internal:everything'], env: 'live', rateLimitPerMinute: 10 },
      }),
      201,
      issuedKeyView,
    );
    assert.match(created.key, /^ep_live_/);
    assert.deepEqual(created.apiKey.scopes, ['internal:everything']);
    assert.equal(created.apiKey.ownerId, owner.id);

    // the owner sees it in their own listing
    const mine = parseAs(await h.request('GET', '/api/keys', { token: owner.token }), 200, apiKeyListView);
    assert.deepEqual(
      mine.items.map((k) => k.id),
      [created.apiKey.id],
    );
    const byOwner = parseAs(
      await h.request('GET', `/admin/api/keys?owner=${owner.id}`, { token: admin }),
      200,
      apiKeyListView,
    );
    assert.deepEqual(byOwner.items, mine.items);
    const all = parseAs(await h.request('GET', '/admin/api/keys?limit=200', { token: admin }), 200, apiKeyListView);
    assert.ok(all.items.some((k) => k.id === created.apiKey.id));
    assert.deepEqual(
      parseAs(await h.request('GET', `/admin/api/keys/${created.apiKey.id}`, { token: admin }), 200, apiKeyView),
      created.apiKey,
    );

    const mark = h.events.length;
    const revoked = parseAs(
      await h.request('DELETE', `/admin/api/keys/${created.apiKey.id}`, { token: admin }),
      200,
      apiKeyView,
    );
    assert.equal(revoked.status, 'revoked');
    const event = await h.waitForEvent((e) => e.type === 'api_key.changed' && e.id === created.apiKey.id, mark);
    assert.equal(event.type === 'api_key.changed' && event.hash, hashApiKey(created.key));
  });

  test('creating a key for an unknown user → 404; unknown key → 404', async () => {
    expectProblem(
      await h.request('POST', '/admin/api/keys', { token: admin, body: { ownerId: 'usr_nobody' } }),
      404,
      'API_NOT_FOUND',
    );
    expectProblem(
      await h.request('DELETE', '/admin/api/keys/key_BBBBBBBBBBBBBBBBBBBBBB', { token: admin }),
      404,
      'API_NOT_FOUND',
    );
    expectProblem(await h.request('POST', '/admin/api/keys', { token: admin, body: {} }), 400, 'API_VALIDATION_FAILED');
  });

  test('set plan: must be a configured plan; publishes user.changed; the user sees it in /api/me', async () => {
    const u = await userWithToken(h);
    const before = h.events.length;
    const res = await h.request('PUT', `/admin/api/users/${u.id}/plan`, { token: admin, body: { plan: 'premium' } });
    const profile = parseAs(res, 200, profileView);
    assert.equal(profile.plan, 'premium');
    const event = await h.waitForEvent((e) => e.type === 'user.changed', before);
    assert.deepEqual(event, { type: 'user.changed', id: u.id });
    assert.equal(parseAs(await h.request('GET', '/api/me', { token: u.token }), 200, profileView).plan, 'premium');

    const bad = expectProblem(
      await h.request('PUT', `/admin/api/users/${u.id}/plan`, { token: admin, body: { plan: 'platinum' } }),
      400,
      'API_VALIDATION_FAILED',
    );
    assert.deepEqual(bad.errors, [{ in: 'body', pointer: '/plan', code: 'invalid_value' }]);
    expectProblem(
      await h.request('PUT', '/admin/api/users/usr_nobody/plan', { token: admin, body: { plan: 'free' } }),
      404,
      'API_NOT_FOUND',
    );
    const { rows } = await h.store.sql.query<{ plan: string }>('SELECT plan FROM users WHERE id = $1', [u.id]);
    assert.equal(rows[0]?.plan, 'premium');
    assert.equal(h.events.filter((e) => e.type === 'user.changed' && e.id === u.id).length, 1);
  });

  test('/api/me shows id, email, plan and roles', async () => {
    const id = await h.createUser({ email: 'Mixed.Case@Example.com', roles: ['beta'], plan: 'enterprise' });
    const token = await h.token({ sub: id });
    const me = parseAs(await h.request('GET', '/api/me', { token }), 200, profileView);
    assert.deepEqual(me, {
      id,
      email: 'Mixed.Case@Example.com',
      name: null,
      emailVerified: false,
      plan: 'enterprise',
      roles: ['beta'],
      status: 'active',
      tenant: null,
    });
  });
});
