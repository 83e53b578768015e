import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiKeyListView, apiKeyView, issuedKeyView, rotatedKeyView } from '../../src/api/schemas.ts';
import { hashApiKey, isApiKeyFormat, verifyApiKey } from '../../src/apikeys/index.ts';
import { expectProblem, type Harness, parseAs, startHarness, userWithToken } from './harness.ts';

describe('owner API keys', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ deps: { maxActiveKeysPerOwner: 3 } });
  });
  after(async () => {
    await h.close();
  });

  test('create shows the key once; only its SHA-256 and prefix are stored; create publishes api_key.changed', async () => {
    const u = await userWithToken(h);
    const res = await h.request('POST', '/api/keys', {
      token: u.token,
      body: { name: 'ci', scopes: ['vocabulary:read'], rateLimitPerMinute: 600 },
    });
    const created = parseAs(res, 201, issuedKeyView);
    assert.ok(isApiKeyFormat(created.key));
    assert.match(created.key, /^ep_test_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.apiKey.prefix, created.key.slice(0, 12));
    assert.equal(created.apiKey.ownerId, u.id);
    assert.deepEqual(created.apiKey.scopes, ['vocabulary:read']);
    assert.equal(created.apiKey.rateLimitPerMinute, 600);
    assert.equal(created.apiKey.status, 'active');
    assert.equal(created.apiKey.createdAt, h.clock.now().toISOString());

    const { rows } = await h.store.sql.query<Record<string, unknown>>('SELECT * FROM api_keys WHERE id = $1', [
      created.apiKey.id,
    ]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.hash, hashApiKey(created.key));
    assert.ok(!JSON.stringify(rows[0]).includes(created.key.slice(12)), 'the secret part is nowhere in the row');

    const event = await h.waitForEvent((e) => e.type === 'api_key.changed' && e.id === created.apiKey.id);
    assert.deepEqual(event, { type: 'api_key.changed', id: created.apiKey.id, hash: hashApiKey(created.key) });
    assert.ok(!h.logs.join('').includes(created.key.slice(12)), 'the key is never logged');
  });

  test('list and get never return the key or its hash', async () => {
    const u = await userWithToken(h);
    const created = parseAs(await h.request('POST', '/api/keys', { token: u.token, body: {} }), 201, issuedKeyView);
    const hash = hashApiKey(created.key);
    const secret = created.key.slice(12);

    const listRes = await h.request('GET', '/api/keys', { token: u.token });
    const list = parseAs(listRes, 200, apiKeyListView);
    assert.deepEqual(
      list.items.map((k) => k.id),
      [created.apiKey.id],
    );
    const getRes = await h.request('GET', `/api/keys/${created.apiKey.id}`, { token: u.token });
    assert.deepEqual(parseAs(getRes, 200, apiKeyView), created.apiKey);
    for (const text of [listRes.text, getRes.text]) {
      assert.ok(!text.includes(hash) && !text.includes(secret) && !text.includes('"hash"'));
    }
  });

  test('list pages newest first with a cursor; a forged cursor is a validation error', async () => {
    const u = await userWithToken(h);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      h.clock.advance(1);
      const res = await h.request('POST', '/api/keys', { token: u.token, body: { name: `k${i}` } });
      ids.push(parseAs(res, 201, issuedKeyView).apiKey.id);
    }
    const first = parseAs(await h.request('GET', '/api/keys?limit=2', { token: u.token }), 200, apiKeyListView);
    assert.deepEqual(
      first.items.map((k) => k.id),
      [ids[2], ids[1]],
    );
    assert.ok(first.nextCursor);
    const second = parseAs(
      await h.request('GET', `/api/keys?limit=2&cursor=${first.nextCursor}`, { token: u.token }),
      200,
      apiKeyListView,
    );
    assert.deepEqual(
      second.items.map((k) => k.id),
      [ids[0]],
    );
    assert.equal(second.nextCursor, null);
    const bad = expectProblem(
      await h.request('GET', '/api/keys?cursor=bm90LWEtY3Vyc29y', { token: u.token }),
      400,
      'API_VALIDATION_FAILED',
    );
    assert.deepEqual(bad.errors, [{ in: 'query', pointer: '/cursor', code: 'custom' }]);
  });

  test("another user's key id answers 404 exactly like an unknown id, for every key route", async () => {
    const owner = await userWithToken(h);
    const other = await userWithToken(h);
    const created = parseAs(await h.request('POST', '/api/keys', { token: owner.token, body: {} }), 201, issuedKeyView);
    const unknownId = 'key_AAAAAAAAAAAAAAAAAAAAAA';
    const calls: [string, string, unknown][] = [
      ['GET', '', undefined],
      ['PATCH', '', { name: 'mine now' }],
      ['DELETE', '', undefined],
      ['POST', '/rotate', {}],
    ];
    for (const [method, suffix, body] of calls) {
      const theirs = expectProblem(
        await h.request(method, `/api/keys/${created.apiKey.id}${suffix}`, { token: other.token, body }),
        404,
        'API_NOT_FOUND',
      );
      const unknown = expectProblem(
        await h.request(method, `/api/keys/${unknownId}${suffix}`, { token: other.token, body }),
        404,
        'API_NOT_FOUND',
      );
      assert.deepEqual({ ...theirs, requestId: '' }, { ...unknown, requestId: '' });
    }
    const list = parseAs(await h.request('GET', '/api/keys', { token: other.token }), 200, apiKeyListView);
    assert.deepEqual(list.items, []);
    const still = parseAs(
      await h.request('GET', `/api/keys/${created.apiKey.id}`, { token: owner.token }),
      200,
      apiKeyView,
    );
    assert.equal(still.status, 'active');
    assert.equal(still.name, null);
  });

  test('revoke sets revoked_at, publishes api_key.changed {id, hash}, is idempotent and republishes', async () => {
    const u = await userWithToken(h);
    const created = parseAs(await h.request('POST', '/api/keys', { token: u.token, body: {} }), 201, issuedKeyView);
    const hash = hashApiKey(created.key);
    const before = h.events.length;
    h.clock.advance(5);
    const revoked = parseAs(
      await h.request('DELETE', `/api/keys/${created.apiKey.id}`, { token: u.token }),
      200,
      apiKeyView,
    );
    assert.equal(revoked.status, 'revoked');
    assert.equal(revoked.revokedAt, h.clock.now().toISOString());
    const event = await h.waitForEvent((e) => e.type === 'api_key.changed' && e.id === created.apiKey.id, before);
    assert.deepEqual(event, { type: 'api_key.changed', id: created.apiKey.id, hash });
    assert.deepEqual(await verifyApiKey(h.store.sql, created.key, h.clock.now()), { valid: false, reason: 'revoked' });

    const mark = h.events.length;
    h.clock.advance(5);
    const again = parseAs(
      await h.request('DELETE', `/api/keys/${created.apiKey.id}`, { token: u.token }),
      200,
      apiKeyView,
    );
    assert.equal(again.revokedAt, revoked.revokedAt, 'the first revocation time stays');
    await h.waitForEvent((e) => e.type === 'api_key.changed' && e.id === created.apiKey.id, mark);
    expectProblem(
      await h.request('PATCH', `/api/keys/${created.apiKey.id}`, { token: u.token, body: { name: 'x' } }),
      409,
      'API_KEY_INACTIVE',
    );
    expectProblem(
      await h.request('POST', `/api/keys/${created.apiKey.id}/rotate`, { token: u.token }),
      409,
      'API_KEY_INACTIVE',
    );
  });

  test('rotate: both keys are valid until the overlap ends, then only the new one (fixed clock)', async () => {
    const u = await userWithToken(h);
    const old = parseAs(
      await h.request('POST', '/api/keys', {
        token: u.token,
        body: { name: 'svc', scopes: ['vocabulary:write'], rateLimitPerMinute: 60 },
      }),
      201,
      issuedKeyView,
    );
    const t = h.clock.now();
    const mark = h.events.length;
    const res = await h.request('POST', `/api/keys/${old.apiKey.id}/rotate`, {
      token: u.token,
      body: { overlapSec: 3600 },
    });
    const rotated = parseAs(res, 201, rotatedKeyView);
    assert.notEqual(rotated.key, old.key);
    assert.equal(rotated.apiKey.rotatedFrom, old.apiKey.id);
    assert.equal(rotated.apiKey.ownerId, u.id);
    assert.equal(rotated.apiKey.name, 'svc');
    assert.deepEqual(rotated.apiKey.scopes, ['vocabulary:write']);
    assert.equal(rotated.apiKey.rateLimitPerMinute, 60);
    assert.equal(rotated.apiKey.expiresAt, null);
    assert.equal(rotated.previous.id, old.apiKey.id);
    assert.equal(rotated.previous.expiresAt, new Date(t.getTime() + 3600_000).toISOString());

    const oldEvent = await h.waitForEvent((e) => e.type === 'api_key.changed' && e.id === old.apiKey.id, mark);
    const newEvent = await h.waitForEvent((e) => e.type === 'api_key.changed' && e.id === rotated.apiKey.id, mark);
    assert.deepEqual(oldEvent, { type: 'api_key.changed', id: old.apiKey.id, hash: hashApiKey(old.key) });
    assert.deepEqual(newEvent, { type: 'api_key.changed', id: rotated.apiKey.id, hash: hashApiKey(rotated.key) });

    const justBefore = new Date(t.getTime() + 3599_000);
    assert.equal((await verifyApiKey(h.store.sql, old.key, justBefore)).valid, true);
    assert.equal((await verifyApiKey(h.store.sql, rotated.key, justBefore)).valid, true);
    const atEnd = new Date(t.getTime() + 3600_000);
    assert.deepEqual(await verifyApiKey(h.store.sql, old.key, atEnd), { valid: false, reason: 'expired' });
    assert.equal((await verifyApiKey(h.store.sql, rotated.key, atEnd)).valid, true);

    expectProblem(
      await h.request('POST', `/api/keys/${old.apiKey.id}/rotate`, { token: u.token }),
      409,
      'API_KEY_ALREADY_ROTATED',
    );
    h.clock.set(atEnd);
    const later = await h.token({ sub: u.id, scope: 'api_keys:manage' });
    const oldNow = parseAs(await h.request('GET', `/api/keys/${old.apiKey.id}`, { token: later }), 200, apiKeyView);
    assert.equal(oldNow.status, 'expired');
    h.clock.set(t);
  });

  test('rotate never extends an earlier expiry and defaults the overlap to one day', async () => {
    const u = await userWithToken(h);
    const soon = new Date(h.clock.now().getTime() + 600_000).toISOString();
    const a = parseAs(
      await h.request('POST', '/api/keys', { token: u.token, body: { expiresAt: soon } }),
      201,
      issuedKeyView,
    );
    const ra = parseAs(
      await h.request('POST', `/api/keys/${a.apiKey.id}/rotate`, { token: u.token }),
      201,
      rotatedKeyView,
    );
    assert.equal(ra.previous.expiresAt, soon);

    const b = parseAs(await h.request('POST', '/api/keys', { token: u.token, body: {} }), 201, issuedKeyView);
    const rb = parseAs(
      await h.request('POST', `/api/keys/${b.apiKey.id}/rotate`, { token: u.token, body: {} }),
      201,
      rotatedKeyView,
    );
    assert.equal(rb.previous.expiresAt, new Date(h.clock.now().getTime() + 86_400_000).toISOString());
  });

  test('update changes name, scopes and rate limit, publishes, and refuses scopes outside the allow-list', async () => {
    const u = await userWithToken(h);
    const created = parseAs(await h.request('POST', '/api/keys', { token: u.token, body: {} }), 201, issuedKeyView);
    const before = h.events.length;
    const updated = parseAs(
      await h.request('PATCH', `/api/keys/${created.apiKey.id}`, {
        token: u.token,
        body: {
          name: 'renamed',
          scopes: ['vocabulary:write', 'vocabulary:read', 'vocabulary:read'],
          rateLimitPerMinute: 5,
        },
      }),
      200,
      apiKeyView,
    );
    assert.equal(updated.name, 'renamed');
    assert.deepEqual(updated.scopes, ['vocabulary:read', 'vocabulary:write']);
    assert.equal(updated.rateLimitPerMinute, 5);
    await h.waitForEvent((e) => e.type === 'api_key.changed' && e.id === created.apiKey.id, before);

    const cleared = parseAs(
      await h.request('PATCH', `/api/keys/${created.apiKey.id}`, {
        token: u.token,
        body: { rateLimitPerMinute: null, name: null },
      }),
      200,
      apiKeyView,
    );
    assert.equal(cleared.rateLimitPerMinute, null);
    assert.equal(cleared.name, null);
    assert.deepEqual(cleared.scopes, ['vocabulary:read', 'vocabulary:write']);

    for (const [method, path] of [
      ['PATCH', `/api/keys/${created.apiKey.id}`],
      ['POST', '/api/keys'],
    ] as const) {
      expectProblem(
        await h.request(method, path, { token: u.token, body: { scopes: ['vocabulary:read', 'admin'] } }),
        403,
        'API_SCOPE_NOT_GRANTABLE',
      );
    }
    const unchanged = parseAs(
      await h.request('GET', `/api/keys/${created.apiKey.id}`, { token: u.token }),
      200,
      apiKeyView,
    );
    assert.deepEqual(unchanged.scopes, ['vocabulary:read', 'vocabulary:write']);
  });

  test('an expiry in the past is refused; expired keys do not count against the per-owner limit', async () => {
    const u = await userWithToken(h);
    const past = new Date(h.clock.now().getTime() - 1000).toISOString();
    expectProblem(
      await h.request('POST', '/api/keys', { token: u.token, body: { expiresAt: past } }),
      400,
      'API_INVALID_EXPIRY',
    );
    const soon = new Date(h.clock.now().getTime() + 60_000).toISOString();
    for (let i = 0; i < 3; i++) {
      const body = i === 0 ? { expiresAt: soon } : {};
      parseAs(await h.request('POST', '/api/keys', { token: u.token, body }), 201, issuedKeyView);
    }
    expectProblem(await h.request('POST', '/api/keys', { token: u.token, body: {} }), 409, 'API_KEY_LIMIT_REACHED');
    h.clock.advance(60);
    parseAs(await h.request('POST', '/api/keys', { token: u.token, body: {} }), 201, issuedKeyView);
    h.clock.advance(-60);
  });

  test('a disabled owner makes the key invalid; an unknown or malformed key is refused', async () => {
    const u = await userWithToken(h);
    const created = parseAs(await h.request('POST', '/api/keys', { token: u.token, body: {} }), 201, issuedKeyView);
    assert.equal((await verifyApiKey(h.store.sql, created.key, h.clock.now())).valid, true);
    await h.store.sql.query("UPDATE users SET status = 'disabled' WHERE id = $1", [u.id]);
    assert.deepEqual(await verifyApiKey(h.store.sql, created.key, h.clock.now()), {
      valid: false,
      reason: 'owner_inactive',
    });
    const forged = `ep_test_${'A'.repeat(43)}`;
    assert.deepEqual(await verifyApiKey(h.store.sql, forged, h.clock.now()), { valid: false, reason: 'unknown' });
    assert.deepEqual(await verifyApiKey(h.store.sql, 'ep_live_short', h.clock.now()), {
      valid: false,
      reason: 'malformed',
    });
  });
});
